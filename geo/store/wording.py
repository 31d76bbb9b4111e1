"""English fragments in the shipped data's notes and citations, said in Vietnamese for Vietnamese pages.

The notes and source citations are mostly Vietnamese or proper names; a few carry English words from
their collection (e.g. "area not found", "via", "crawled"). A Vietnamese page shows ``note_vi(text)``;
the English page shows the text as stored. Constants and one pure function: any part may import it.
"""

import re

# (English, Vietnamese), longest first where one contains another; matched as whole words.
PHRASES_VI: tuple[tuple[str, str], ...] = (
    ("area not found", "chưa tìm thấy số liệu diện tích"),
    ("date of figure unknown", "chưa rõ thời điểm của số liệu"),
    ("horizon not stated", "chưa nêu thời hạn"),
    ("see priority_projects.csv", "xem dự án"),
    ("(approx.)", "(xấp xỉ)"),
    ("state-invested", "vốn nhà nước"),
    ("text truncated", "nguồn bị cắt chữ"),
    ("as named by source", "tên theo nguồn"),
    (
        "and provincial sources (see each feature's source)",
        "và các nguồn của tỉnh (xem nguồn của từng đối tượng)",
    ),
    ("open data (upstream origin unknown)", "dữ liệu mở (chưa rõ nguồn gốc ban đầu)"),
    ("published facts", "số liệu đã công bố"),
    ("placed on the 2009 communes", "đặt trên ranh giới xã năm 2009"),
    ("rivers", "sông"),
    ("crawled", "thu thập"),
    ("crawl", "thu thập"),
    ("via", "qua"),
)
_PATTERNS = tuple((re.compile(rf"(?<![\w/.-]){re.escape(en)}(?![\w-])"), vi) for en, vi in PHRASES_VI)


def note_vi(text: str | None) -> str | None:
    """The text with its known English fragments in Vietnamese (the rest is the source's own words)."""
    if text is None:
        return None
    for pattern, vi in _PATTERNS:
        text = pattern.sub(vi, text)
    return text
