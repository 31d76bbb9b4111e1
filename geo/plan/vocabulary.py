"""The cycle's vocabularies: one enum each (= the CHECKs of migration 0009) and their Vietnamese titles."""

from enum import StrEnum


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


STATUS_TITLES_VI = {
    TargetStatus.met: "đạt",
    TargetStatus.on_track: "đúng lộ trình",
    TargetStatus.behind: "chậm so với lộ trình",
    TargetStatus.no_data: "chưa đủ dữ liệu",
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
