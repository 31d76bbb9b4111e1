"""Maps on paper: the print layout and its server-rendered vector PDF, true to scale in VN-2000."""

import asyncio
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from pyproj import Transformer

from maps.pdf import PdfRenderer

PLAN_TITLE = "Quy hoạch tỉnh Bắc Kạn thời kỳ 2021–2030, tầm nhìn đến năm 2050"
PT_PER_MM = 72 / 25.4
# Two GeoNames settlements of the shipped data, about 21 km apart (first words unique on the sheet).
PHU_THONG = (105.87943, 22.27314)
VAN_TUNG = (105.99687, 22.43082)
CENTER = f"{(PHU_THONG[0] + VAN_TUNG[0]) / 2:.5f},{(PHU_THONG[1] + VAN_TUNG[1]) / 2:.5f}"

needs_pdf_tools = pytest.mark.skipif(
    not (shutil.which("chromium") and shutil.which("pdftotext") and shutil.which("pdfinfo")),
    reason="needs Debian chromium and poppler-utils (make test installs them)",
)


def pdf_text(pdf: bytes, *args: str) -> str:
    return subprocess.run(
        ["pdftotext", *args, "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def pdf_page_size(pdf: bytes) -> tuple[float, float, str]:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts(?: \((\w+)\))?", info)
    pages = re.search(r"Pages:\s+(\d+)", info).group(1)
    assert pages == "1", info
    return float(m.group(1)), float(m.group(2)), m.group(3) or ""


def pdf_words(pdf: bytes) -> list[tuple[str, float, float, float, float]]:
    """Every word of the PDF with its box in points (pdftotext -bbox)."""
    xhtml = pdf_text(pdf, "-bbox")
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", xhtml))
    return [
        (w.text or "", float(w.get("xMin")), float(w.get("yMin")), float(w.get("xMax")), float(w.get("yMax")))
        for w in root.iter("{http://www.w3.org/1999/xhtml}word")
    ]


def test_layout_shows_sheet_scale_legend_grid(client):
    r = client.get(
        "/print",
        params={
            "sheet": "P12",
            "paper": "A3",
            "orientation": "landscape",
            "scale": "100000",
            "center": CENTER,
            "layers": "priority_projects,industrial_zones",
        },
    )
    assert r.status_code == 200, r.text
    html = r.text
    sheet = client.get("/api/sheets").json()["sheets"]
    p12 = next(s for s in sheet if s["sheet_id"] == "P12")
    assert f"Sơ đồ P12: {p12['title_vi']}" in html
    assert PLAN_TITLE in html
    assert "@page { size: A3 landscape" in html
    assert "Tỉ lệ 1:100.000" in html
    assert "Dự án ưu tiên đầu tư" in html and "Khu, cụm công nghiệp" in html  # legend of the layers shown
    assert "Ranh giới huyện (trước 07/2025)" in html
    assert "EPSG:9213" in html and "Bắc lưới" in html
    assert "Vị trí gần đúng" in html  # approximate places say so
    assert 'href="/api/print.pdf?' in html
    # grid values are VN-2000 metres: eastings around 500 km ± 100 km in Bắc Kạn
    eastings = [int(v) for v in re.findall(r'class="pv-grid-e"[^>]*>(\d+)<', html)]
    assert len(eastings) >= 3 and all(380_000 < v < 560_000 and v % 5000 == 0 for v in eastings)


def test_layout_in_english_and_fit(client):
    r = client.get("/print", params={"sheet": "P5", "paper": "A4", "orientation": "portrait", "lang": "en"})
    assert r.status_code == 200, r.text
    assert "Bắc Kạn Provincial Plan 2021–2030, vision to 2050" in r.text
    assert "Sheet P5:" in r.text and "fitted to the paper" in r.text
    m = re.search(r'data-scale="(\d+)"', r.text)
    assert m and int(m.group(1)) > 100_000  # the whole province's zones on A4 need a small scale


@pytest.mark.parametrize(
    ("params", "status", "names"),
    [
        ({"paper": "B5"}, 400, "paper"),
        ({"orientation": "sideways"}, 400, "orientation"),
        ({"scale": "12345"}, 400, "scale"),
        ({"center": "abc"}, 400, "center"),
        ({"bbox": "106,22,105,23"}, 400, "bbox"),
        ({"layers": "no_such_layer"}, 400, "no_such_layer"),
        ({"sheet": "P99"}, 404, "P99"),
        ({"lang": "fr"}, 400, "lang"),
        ({"center": "180,90", "scale": "250000"}, 400, "center"),  # outside VN-2000's area: no PROJ error
        ({"bbox": "-180,-90,180,90"}, 400, "bbox"),
    ],
)
def test_bad_print_parameters_are_named(client, params, status, names):
    for path in ("/print", "/api/print.pdf"):
        r = client.get(path, params=params)
        assert r.status_code == status, (path, r.text)
        assert names in r.json()["description"]


@needs_pdf_tools
def test_pdf_is_a3_vector_with_title_scale_legend_and_true_scale(client):
    r = client.get(
        "/api/print.pdf",
        params={
            "sheet": "P12",
            "paper": "A3",
            "orientation": "landscape",
            "scale": "100000",
            "center": CENTER,
            "layers": "priority_projects,industrial_zones",
        },
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    pdf = r.content
    width, height, name = pdf_page_size(pdf)
    assert name == "A3" and abs(width - 1190.55) < 1 and abs(height - 841.89) < 1
    text = " ".join(pdf_text(pdf).split())
    for wanted in (
        PLAN_TITLE,
        "Sơ đồ P12",
        "Tỉ lệ 1:100.000",
        "Dự án ưu tiên đầu tư",
        "Khu, cụm công nghiệp",
        "Ranh giới xã (trước 07/2025)",
        "Phủ Thông",
        "Vân Tùng",
    ):
        assert wanted in text, wanted

    words = pdf_words(pdf)
    # 1) two settlements: their distance on paper is the ground distance in VN-2000 divided by the scale
    to_vn2000 = Transformer.from_crs("EPSG:4326", "EPSG:9213", always_xy=True)
    (e1, n1), (e2, n2) = to_vn2000.transform(PHU_THONG[0], PHU_THONG[1]), to_vn2000.transform(*VAN_TUNG)
    ground_m = ((e2 - e1) ** 2 + (n2 - n1) ** 2) ** 0.5
    expected_pt = ground_m / 100_000 * 1000 * PT_PER_MM
    [phu] = [w for w in words if w[0] == "Phủ"]
    [van] = [w for w in words if w[0] == "Vân"]
    measured_pt = ((van[1] - phu[1]) ** 2 + (van[4] - phu[4]) ** 2) ** 0.5
    assert abs(measured_pt / expected_pt - 1) < 0.01, (measured_pt, expected_pt)
    # 2) the VN-2000 grid: 5 km between lines is 50 mm on paper at 1:100,000
    top = sorted((w for w in words if re.fullmatch(r"\d{6}", w[0]) and w[2] < 100), key=lambda w: w[1])
    assert len(top) >= 4
    centres = [(w[1] + w[3]) / 2 for w in top]
    values = [int(w[0]) for w in top]
    for i in range(len(top) - 1):
        (c1, v1), (c2, v2) = (centres[i], values[i]), (centres[i + 1], values[i + 1])
        assert v2 - v1 == 5000
        assert abs((c2 - c1) / (50 * PT_PER_MM) - 1) < 0.01, (c1, c2)


@needs_pdf_tools
def test_pdf_a4_portrait_page_size(client):
    r = client.get(
        "/api/print.pdf",
        params={
            "paper": "A4",
            "orientation": "portrait",
            "scale": "250000",
            "layers": "tourism_areas",
            "lang": "en",
        },
    )
    assert r.status_code == 200, r.text
    width, height, name = pdf_page_size(r.content)
    assert name == "A4" and abs(width - 595.3) < 1 and abs(height - 841.9) < 1
    text = " ".join(pdf_text(r.content).split())
    assert "Scale 1:250,000" in text and "Tourism area or site" in text


def test_pdf_timeout_is_504_and_busy_is_503(client, tmp_path):
    app = client.app
    stuck = tmp_path / "stuck-printer"
    stuck.write_text("#!/bin/sh\nexec sleep 30\n")
    stuck.chmod(0o755)
    previous = getattr(app.state, "pdf_renderer", None)
    try:
        app.state.pdf_renderer = PdfRenderer(str(stuck), timeout_s=0.5)  # a "printer" that never finishes
        r = client.get("/api/print.pdf", params={"scale": "250000", "layers": "tourism_areas"})
        assert r.status_code == 504 and r.json()["code"] == "GatewayTimeout"

        busy = PdfRenderer("/bin/true", concurrency=1, queue_wait_s=0.05)
        asyncio.run(busy._slots.acquire())  # the only slot is taken
        app.state.pdf_renderer = busy
        r = client.get("/api/print.pdf", params={"scale": "250000", "layers": "tourism_areas"})
        assert r.status_code == 503 and r.headers["Retry-After"] == "10"
        assert "busy" in r.json()["description"]

        app.state.pdf_renderer = PdfRenderer("/nonexistent/chromium")
        r = client.get("/api/print.pdf", params={"scale": "250000", "layers": "tourism_areas"})
        assert r.status_code == 503 and "not installed" in r.json()["description"]
    finally:
        app.state.pdf_renderer = previous
