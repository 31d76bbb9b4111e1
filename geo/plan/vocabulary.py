"""The cycle's vocabularies: one enum each (= the CHECKs of migration 0005) and their titles (VI, EN)."""

from enum import StrEnum

from geo.store.vocabulary import GeometryQuality, ProjectStatus


class UnitKind(StrEnum):
    """Kinds of reporting unit (the CHECK on reporting_unit.kind lists the same values)."""

    district = "district"
    commune_2025 = "commune_2025"
    agency = "agency"


class TargetStatus(StrEnum):
    """How a target stands in a year (see docs/design.md, "Target status")."""

    met = "met"
    on_track = "on_track"
    behind = "behind"
    no_data = "no_data"


class ActualKind(StrEnum):
    """Whether an actual value is an official statistic or an estimate (CHECK on target_actual.kind)."""

    official = "official"
    estimate = "estimate"


class PlanPart(StrEnum):
    """The parts of Plan 56 §II.2 the targets are grouped by (CHECK on plan_target.part)."""

    economy = "economy"
    society = "society"
    environment = "environment"
    infrastructure = "infrastructure"
    defence = "defence"


PART_TITLES_VI = {
    PlanPart.economy: "Về kinh tế",
    PlanPart.society: "Về xã hội",
    PlanPart.environment: "Về tài nguyên và môi trường",
    PlanPart.infrastructure: "Về phát triển kết cấu hạ tầng",
    PlanPart.defence: "Về quốc phòng, an ninh",
}

PART_TITLES_EN = {
    PlanPart.economy: "Economy",
    PlanPart.society: "Society",
    PlanPart.environment: "Natural resources and environment",
    PlanPart.infrastructure: "Infrastructure",
    PlanPart.defence: "Defence and security",
}


STATUS_TITLES_VI = {
    TargetStatus.met: "đạt",
    TargetStatus.on_track: "đúng lộ trình",
    TargetStatus.behind: "chậm so với lộ trình",
    TargetStatus.no_data: "chưa đủ dữ liệu",
}
STATUS_TITLES_EN = {
    TargetStatus.met: "met",
    TargetStatus.on_track: "on track",
    TargetStatus.behind: "behind the path",
    TargetStatus.no_data: "not enough data",
}


class TaskStatus(StrEnum):
    """Where a task stands (the CHECK on task.status lists the same values)."""

    not_started = "not_started"
    in_progress = "in_progress"
    completed = "completed"
    cancelled = "cancelled"


TASK_STATUS_TITLES_VI = {
    TaskStatus.not_started: "chưa thực hiện",
    TaskStatus.in_progress: "đang thực hiện",
    TaskStatus.completed: "hoàn thành",
    TaskStatus.cancelled: "hủy bỏ",
}
TASK_STATUS_TITLES_EN = {
    TaskStatus.not_started: "not started",
    TaskStatus.in_progress: "in progress",
    TaskStatus.completed: "completed",
    TaskStatus.cancelled: "cancelled",
}


class ReportState(StrEnum):
    """The life of a unit report (the CHECK on unit_report.state lists the same values)."""

    draft = "draft"
    submitted = "submitted"
    returned = "returned"
    accepted = "accepted"


REPORT_STATE_TITLES_VI = {
    ReportState.draft: "đang soạn",
    ReportState.submitted: "đã gửi",
    ReportState.returned: "trả lại",
    ReportState.accepted: "đã tiếp nhận",
}
REPORT_STATE_TITLES_EN = {
    ReportState.draft: "draft",
    ReportState.submitted: "submitted",
    ReportState.returned: "returned",
    ReportState.accepted: "accepted",
}


# Project statuses: the enum lives with the database's CHECK (geo.store.vocabulary); its labels and
# colours live here, and the page reads all three from GET /api/vocabularies.
PROJECT_STATUS_LABELS = {
    ProjectStatus.proposed: ("Đề xuất", "Proposed", "#9e9ac8"),
    ProjectStatus.planned: ("Đã quy hoạch", "Planned", "#3182bd"),
    ProjectStatus.preparation: ("Chuẩn bị đầu tư", "Preparation", "#6baed6"),
    ProjectStatus.site_clearance: ("Giải phóng mặt bằng", "Site clearance", "#fd8d3c"),
    ProjectStatus.under_construction: ("Đang thi công", "Under construction", "#e6550d"),
    ProjectStatus.completed: ("Hoàn thành", "Completed", "#31a354"),
    ProjectStatus.suspended: ("Tạm dừng", "Suspended", "#636363"),
    ProjectStatus.unclear: ("Chưa rõ", "Unclear", "#bdbdbd"),
    ProjectStatus.category: ("Danh mục (nhóm dự án)", "Category (group of projects)", "#8c6d31"),
}


GEOMETRY_QUALITY_LABELS = {
    GeometryQuality.exact: ("vị trí chính xác theo nguồn", "location as published"),
    GeometryQuality.approximate: ("vị trí gần đúng", "approximate location"),
    GeometryQuality.schematic: (
        "sơ đồ (chỉ nối các điểm nguồn nêu)",
        "schematic (only the points the source names)",
    ),
    GeometryQuality.digitised: ("vị trí do cán bộ quy hoạch số hóa", "digitised by a planner"),
    GeometryQuality.none: ("chưa công bố vị trí", "location not published"),
}


def _labelled(enum, vi: dict, en: dict) -> list[dict]:
    """Each value of ``enum`` in order with its Vietnamese and English label."""
    return [{"value": str(v), "label_vi": vi[v], "label_en": en[v]} for v in enum]


def vocabularies() -> dict:
    """The vocabularies the page shows, in their order, with Vietnamese and English labels."""
    return {
        "project_statuses": [
            {"value": str(s), "label_vi": vi, "label_en": en, "color": color}
            for s, (vi, en, color) in PROJECT_STATUS_LABELS.items()
        ],
        "geometry_qualities": [
            {"value": str(q), "label_vi": vi, "label_en": en}
            for q, (vi, en) in GEOMETRY_QUALITY_LABELS.items()
        ],
        # the yearly cycle's lists (each also comes with the list it qualifies, as "statuses"/"states")
        "target_statuses": _labelled(TargetStatus, STATUS_TITLES_VI, STATUS_TITLES_EN),
        "plan_parts": _labelled(PlanPart, PART_TITLES_VI, PART_TITLES_EN),
        "task_statuses": _labelled(TaskStatus, TASK_STATUS_TITLES_VI, TASK_STATUS_TITLES_EN),
        "report_states": _labelled(ReportState, REPORT_STATE_TITLES_VI, REPORT_STATE_TITLES_EN),
        "actual_kinds": [str(k) for k in ActualKind],
    }
