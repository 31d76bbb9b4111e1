"""``planview screen``: load the rules, screen all projects, print the conflicts."""

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from geo.analysis.rules import load_rules
from geo.analysis.screening import screen_all
from geo.errors import NotFound


def print_screening(engine, project: str | None = None, force: bool = False, console=None) -> dict:
    """The ``planview screen`` command: load the rules, screen all projects, print the conflicts."""

    console = console or Console(stderr=True)
    with engine.begin() as conn:
        load_rules(conn)
        summary = screen_all(conn, force=force)
        if (
            project
            and conn.execute(text("SELECT 1 FROM project WHERE project_id = :p"), {"p": project}).first()
            is None
        ):
            raise NotFound(f"project {project!r} does not exist")
        rows = conn.execute(
            text(
                """
                SELECT c.project_id, c.rule_code, c.severity, c.overlap_ha, c.overlap_pct, c.distance_m,
                       c.constraint_name, (c.evidence->>'approximate')::boolean AS approximate
                FROM project_conflict c
                WHERE CAST(:p AS text) IS NULL OR c.project_id = CAST(:p AS text)
                ORDER BY array_position(ARRAY['block', 'review', 'info'], c.severity),
                         c.project_id, c.rule_code
                """
            ),
            {"p": project},
        ).all()
    state = "recomputed" if summary["recomputed"] else "current (not recomputed)"
    console.print(
        f"data version {summary['data_version']}: {summary['projects_screened']} projects with a footprint, "
        f"{summary['conflicts_found']} conflicts, {state}, {summary['duration_ms']} ms"
    )
    table = Table("project", "rule", "severity", "overlap ha", "%", "distance m", "constraint", "approx.")
    for r in rows:
        table.add_row(
            r.project_id,
            r.rule_code,
            r.severity,
            f"{r.overlap_ha:g}" if r.overlap_ha is not None else "",
            f"{r.overlap_pct:g}" if r.overlap_pct is not None else "",
            f"{r.distance_m:g}" if r.distance_m is not None else "",
            r.constraint_name or "",
            "yes" if r.approximate else "",
        )
    console.print(table)
    for rule in summary.get("inactive_rules", []):
        console.print(f"[yellow]inactive[/] {rule['rule_code']}: {rule['reason']}")
    return summary
