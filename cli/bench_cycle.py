"""Bench of the yearly cycle: the report board and the consolidated documents of every unit of a year.

Every unit of the year drafts, submits and is accepted inside one transaction that is rolled back at the
end, so the database is left as it was; the timings are of the geo functions and document builders
(what one request spends besides HTTP).
"""

import asyncio
import statistics
import time

import asyncpg

from geo.plan.actor import Actor, Role
from geo.plan.reports import consolidation, decide_report, report_board, save_draft, submit_report
from geo.plan.units import units_for_year
from maps.cycle_documents import consolidated_html, html_to_pdf, report_xlsx

PLANNER = Actor(username="bench.planner", role=Role.planner)


async def _timed(runs: int, make) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = await make()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times), result


async def run_cycle_bench(url: str, year: int, runs: int = 5) -> dict:
    """Fill every unit's report for ``year`` (rolled back) and time the board and the documents."""
    conn = await asyncpg.connect(url)
    from geo.store.database import _init_connection  # the pool's JSON codecs

    await _init_connection(conn)
    transaction = conn.transaction()
    await transaction.start()
    try:
        units = await units_for_year(conn, year)
        start = time.perf_counter()
        for unit in units:
            officer = Actor(
                username=f"bench.{unit['unit_id'].lower()}", role=Role.officer, units=(unit["unit_id"],)
            )
            saved = await save_draft(
                conn, officer, year, unit["unit_id"], 0, "Khó khăn (bench)", "Kiến nghị (bench)"
            )
            submitted = await submit_report(conn, officer, year, unit["unit_id"], saved["version"])
            await decide_report(conn, PLANNER, year, unit["unit_id"], submitted["version"], accept=True)
        fill_ms = (time.perf_counter() - start) * 1000
        board_p50, board_max, board = await _timed(runs, lambda: report_board(conn, PLANNER, year))
        data_p50, _, data = await _timed(runs, lambda: consolidation(conn, PLANNER, year))
        xlsx_times, html_times = [], []
        for _ in range(runs):
            start = time.perf_counter()
            workbook = report_xlsx(data)
            xlsx_times.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            html = consolidated_html(data)
            html_times.append((time.perf_counter() - start) * 1000)
        pdf_times = []
        for _ in range(2):  # the first PDF of a process also loads WeasyPrint and the fonts
            start = time.perf_counter()
            pdf = html_to_pdf(html)
            pdf_times.append((time.perf_counter() - start) * 1000)
    finally:
        await transaction.rollback()
        await conn.close()
    return {
        "year": year,
        "units": len(units),
        "accepted": board["counts"]["accepted"],
        "tasks_in_report": sum(len(u["tasks"]) for u in data["accepted"]),
        "projects_in_report": sum(len(u["projects"]) for u in data["accepted"]),
        "fill_all_units_ms": round(fill_ms),
        "board_ms_p50": round(board_p50, 1),
        "board_ms_max": round(board_max, 1),
        "consolidation_data_ms_p50": round(data_p50, 1),
        "xlsx_ms_p50": round(statistics.median(xlsx_times), 1),
        "xlsx_bytes": len(workbook),
        "html_ms_p50": round(statistics.median(html_times), 1),
        "pdf_first_ms": round(pdf_times[0]),
        "pdf_ms": round(pdf_times[1]),
        "pdf_bytes": len(pdf),
    }


def bench_cycle(url: str, years: list[int], runs: int) -> list[dict]:
    """The cycle bench for each year."""
    return [asyncio.run(run_cycle_bench(url, year, runs)) for year in years]
