"""The viewer's zone card in Vietnamese says the sources' English fragments in Vietnamese."""

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_zone_card_notes_in_the_page_language(open_page, lang):
    page = open_page(f"/?lang={lang}")
    page.click('#pv-tabs [data-tab="zones"]')
    page.click('#pv-zone-list li[data-zone="CCN-06"] .pv-link')  # its area note is "area not found"
    card = page.locator('.pv-zone-card[data-zone="CCN-06"]').first
    card.wait_for()
    if lang == "vi":
        page.locator('.pv-zone-card[data-zone="CCN-06"][data-vi-notes="true"]').first.wait_for()
        text = card.inner_text()
        assert "chưa tìm thấy số liệu diện tích" in text and "area not found" not in text
        assert "as named by source" not in text
    else:
        assert "area not found" in card.inner_text()
    assert page.pv_errors == [] and page.pv_external_requests() == []
