"""The cycle's documents from data handed in: XLSX workbooks and the A4 report (HTML, PDF)."""

import io
from datetime import date, datetime, timedelta, timezone

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from geo.plan.vocabulary import (
    PART_TITLES_VI,
    PROJECT_STATUS_LABELS,
    REPORT_STATE_TITLES_VI,
    STATUS_TITLES_VI,
    TASK_STATUS_TITLES_VI,
    PlanPart,
    ReportState,
    TargetStatus,
    TaskStatus,
)
from maps.templating import TEMPLATE_DIR, TEMPLATES

VIETNAM_TIME = timezone(timedelta(hours=7))
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
KIND_VI = {"official": "chính thức", "estimate": "ước tính"}
# the project status labels' one home (geo/plan/vocabulary.py)
PROJECT_STATUS_VI = {str(s): vi for s, (vi, _, _) in PROJECT_STATUS_LABELS.items()}


def _task_status(value: str | None) -> str | None:
    return TASK_STATUS_TITLES_VI.get(TaskStatus(value)) if value in TaskStatus.__members__ else value


def _task_due(task: dict) -> str | None:
    """The due date shown: the next one, or the last one when the lead unit's end stopped the task."""
    # reports frozen before tasks carried `ended` have only next_due and deadline
    return task.get("last_due") if task.get("ended") else task.get("next_due") or task.get("deadline")


def _task_deadline_text(task: dict) -> str | None:
    """The deadline's wording, with why nothing falls due when the lead unit has ended."""
    if task.get("ended"):
        return f"{task.get('deadline_text') or ''} ({task['ended_reason_vi']})".strip()
    return task.get("deadline_text")


def _target_status(value: str | None) -> str | None:
    return STATUS_TITLES_VI.get(TargetStatus(value)) if value in TargetStatus.__members__ else value


def _state(value: str | None) -> str:
    if value in ReportState.__members__:
        return REPORT_STATE_TITLES_VI[ReportState(value)]
    return "chưa lập"


def _date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    return date.fromisoformat(str(value)[:10])


def _datetime(value) -> datetime | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    # Excel has no time zones: the Vietnamese wall-clock time is what the reader expects
    return moment.astimezone(VIETNAM_TIME).replace(tzinfo=None) if moment.tzinfo else moment


def _sheet(workbook: Workbook, title: str, columns: list[tuple[str, int, str]], rows: list[list]) -> None:
    """A sheet with a bold frozen header, widths, typed cells; text never becomes a formula."""
    sheet = workbook.create_sheet(title)
    sheet.append([c[0] for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append([None] * len(columns))
        for index, (value, (_, _, kind)) in enumerate(zip(row, columns, strict=True), start=1):
            cell = sheet.cell(row=sheet.max_row, column=index)
            if value is None:
                continue
            if kind == "date":
                cell.value = _date(value)
                cell.number_format = DATE_FORMAT
            elif kind == "datetime":
                cell.value = _datetime(value)
                cell.number_format = DATETIME_FORMAT
            elif kind in ("number", "int"):
                cell.value = int(value) if kind == "int" else float(value)
            else:
                cell.value = str(value)
                # a string is stored as a string: Excel never evaluates "=…" typed by a user
                cell.data_type = "s"
                cell.alignment = Alignment(wrap_text=len(str(value)) > 40, vertical="top")
    for index, (_, width, _) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def report_xlsx(data: dict) -> bytes:
    """A workbook of accepted unit reports (or one unit's report): one sheet per part of the report."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    year = data["year"]
    units = data["accepted"]
    summary = [
        ["Năm báo cáo", year, "int"],
        ["Hạn báo cáo của đơn vị", data["deadline"], "date"],
        ["Hạn báo cáo tổng hợp của tỉnh", data["province_deadline"], "date"],
        ["Số đơn vị trong báo cáo", len(units), "int"],
    ]
    if data.get("board"):
        counts = data["board"]["counts"]
        summary += [
            ["Số đơn vị phải báo cáo", counts["units"], "int"],
            ["Số báo cáo đã tiếp nhận", counts["accepted"], "int"],
            ["Số đơn vị chưa gửi khi đã quá hạn", counts["missing"], "int"],
            ["Số báo cáo gửi trễ hạn", counts["late"], "int"],
        ]
    sheet = workbook.create_sheet("Tổng quan")
    sheet.append(["Nội dung", "Giá trị"])
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    for label, value, kind in summary:
        sheet.append([label, _date(value) if kind == "date" else value])
        if kind == "date":
            sheet.cell(row=sheet.max_row, column=2).number_format = DATE_FORMAT
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 40, 16
    sheet.freeze_panes = "A2"
    _sheet(
        workbook,
        "Nhiệm vụ",
        [("Đơn vị", 28, "text"), ("Mã nhiệm vụ", 22, "text"), ("Nhiệm vụ", 60, "text"),
         ("Mục KH 56", 10, "text"), ("Hạn", 12, "date"), ("Hạn theo văn bản", 24, "text"),
         ("Trạng thái", 16, "text"), ("Tiến độ (%)", 10, "number"), ("Ghi chú tiến độ", 40, "text")],
        [[u["name_vi"], t["task_id"], t["title_vi"], t["plan_section"],
          _task_due(t), _task_deadline_text(t), _task_status(t.get("status")),
          t.get("progress_pct"), t.get("progress_note")]
         for u in units for t in u["tasks"]],
    )  # fmt: skip
    _sheet(
        workbook,
        "Dự án",
        [("Đơn vị", 28, "text"), ("Mã dự án", 10, "text"), ("Tên dự án", 60, "text"),
         ("Lĩnh vực", 20, "text"), ("Trạng thái tại 20/10", 20, "text"), ("Tiến độ (%)", 10, "number"),
         ("Ghi nhận lúc", 17, "datetime"), ("Trạng thái hiện nay", 20, "text")],
        [[u["name_vi"], p["project_id"], p["name_vi"], p.get("sector"),
          PROJECT_STATUS_VI.get(p.get("status_at"), p.get("status_at") or "chưa có ghi nhận"),
          p.get("progress_pct_at"), p.get("recorded_at"),
          PROJECT_STATUS_VI.get(p.get("status_now"), p.get("status_now"))]
         for u in units for p in u["projects"]],
    )  # fmt: skip
    _sheet(
        workbook,
        "Chỉ tiêu",
        [("Đơn vị", 28, "text"), ("Mã chỉ tiêu", 10, "text"), ("Chỉ tiêu", 50, "text"),
         ("So sánh", 8, "text"), ("Mục tiêu", 10, "number"), ("Đơn vị tính", 16, "text"), ("Năm", 8, "int"),
         ("Giá trị", 10, "number"), ("Loại số liệu", 12, "text"), ("Nguồn", 40, "text"),
         ("Đánh giá", 18, "text")],
        [[u["name_vi"], i["target_id"], i["indicator_vi"], i.get("comparator"), i.get("goal"), i.get("unit"),
          i["year"], i.get("value"), KIND_VI.get(i.get("kind"), i.get("kind")), i.get("source"),
          _target_status(i.get("status"))]
         for u in units for i in u["indicators"]],
    )  # fmt: skip
    _sheet(
        workbook,
        "Khó khăn, kiến nghị",
        [("Đơn vị", 28, "text"), ("Gửi lúc", 17, "datetime"), ("Số ngày trễ hạn", 10, "int"),
         ("Khó khăn, vướng mắc", 60, "text"), ("Kiến nghị, đề xuất", 60, "text")],
        [[u["name_vi"], u.get("submitted_at"), u.get("late_days"), u.get("difficulties"), u.get("proposals")]
         for u in units],
    )  # fmt: skip
    if data.get("board"):
        _sheet(
            workbook,
            "Đơn vị chưa tiếp nhận",
            [("Mã đơn vị", 10, "text"), ("Đơn vị", 36, "text"), ("Trạng thái", 14, "text"),
             ("Quá hạn chưa gửi", 10, "text"), ("Gửi lúc", 17, "datetime"), ("Số ngày trễ hạn", 10, "int")],
            [[b["unit_id"], b["name_vi"], _state(b["state"]), "có" if b["missing"] else "không",
              b.get("submitted_at"), b.get("late_days")] for b in data["not_accepted"]],
        )  # fmt: skip
        rows = []
        for t in data["targets"]:
            year_row = next((y for y in t["by_year"] if y["year"] == year), {})
            rows.append(
                [t["target_id"], PART_TITLES_VI.get(PlanPart(t["part"])) if t.get("part") else None,
                 t["indicator_vi"], t.get("comparator"), t.get("goal"), t.get("unit"), t.get("goal_year"),
                 year_row.get("value"), KIND_VI.get(year_row.get("kind")), year_row.get("source"),
                 _target_status(year_row.get("status") or ("no_data" if t["assessed"] else None))]
            )  # fmt: skip
        _sheet(
            workbook,
            "Chỉ tiêu toàn tỉnh",
            [("Mã", 8, "text"), ("Nhóm", 24, "text"), ("Chỉ tiêu", 50, "text"), ("So sánh", 8, "text"),
             ("Mục tiêu", 10, "number"), ("Đơn vị tính", 16, "text"), ("Năm mục tiêu", 10, "int"),
             (f"Giá trị {year}", 10, "number"), ("Loại số liệu", 12, "text"), ("Nguồn", 40, "text"),
             (f"Đánh giá {year}", 18, "text")],
            rows,
        )  # fmt: skip
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def number_vi(value) -> str:
    """A number the Vietnamese way: decimal comma, no trailing zeros (7,4; 73,38; 105 000)."""
    if value is None:
        return ""
    text = f"{float(value):,.2f}".replace(",", " ").replace(".", ",")
    return text.rstrip("0").rstrip(",") if "," in text else text


def consolidated_html(data: dict, issued: date | None = None) -> str:
    """The province's report as an A4 document in the Vietnamese administrative form."""
    issued = issued or datetime.now(VIETNAM_TIME).date()
    year = data["year"]
    parts = []
    for part in PlanPart:
        rows = []
        for t in data["targets"]:
            if t.get("part") != part.value or not t["assessed"]:
                continue
            year_row = next((y for y in t["by_year"] if y["year"] == year), None)
            rows.append(
                {
                    "target": t,
                    "value": year_row["value"] if year_row else None,
                    "kind": KIND_VI.get(year_row["kind"]) if year_row else None,
                    "source": year_row["source"] if year_row else None,
                    "status": _target_status(year_row["status"] if year_row else "no_data"),
                }
            )
        parts.append({"title": PART_TITLES_VI[part], "rows": rows})
    return TEMPLATES.get_template("province_report.html").render(
        data=data,
        year=year,
        issued=issued,
        parts=parts,
        counts=data["board"]["counts"],
        state=_state,
        task_status=_task_status,
        project_status=lambda s: PROJECT_STATUS_VI.get(s, s or "chưa có ghi nhận"),
        fmt_date=lambda v: _date(v).strftime("%d/%m/%Y") if v else "",
        fmt_num=number_vi,
        css=(TEMPLATE_DIR / "_sheet.css").read_text(encoding="utf-8"),
    )  # fmt: skip


def html_to_pdf(html: str) -> bytes:
    """Render an HTML document to A4 PDF with WeasyPrint (Debian's DejaVu fonts carry the diacritics)."""
    from weasyprint import HTML  # heavy import, only when a PDF is asked for

    return HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf()
