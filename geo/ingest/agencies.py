"""The provincial departments and agencies (data/plan/agencies.csv) and projects' responsible agency."""

import csv
import unicodedata
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, text

from geo.store.settings import DATA_DIR

AGENCIES_CSV = DATA_DIR / "plan" / "agencies.csv"
PROJECT_AGENCIES_CSV = DATA_DIR / "plan" / "project_agencies.csv"


def _rows(path: Path) -> list[dict[str, str | None]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [
            {k: (unicodedata.normalize("NFC", v.strip()) or None) if v else None for k, v in r.items()}
            for r in csv.DictReader(f)
        ]


def agency_reporting_units(path: Path = AGENCIES_CSV) -> list[dict]:
    """The agencies as reporting units (kind ``agency``): the same ids, names and validity as the table.

    agencies.csv is the one list of agencies: the ``agency`` table and the shipped ``reporting_unit``
    rows of kind ``agency`` are both loaded from it, so their validity cannot disagree.
    """
    return [
        {
            "unit_id": r["agency_id"],
            "kind": "agency",
            "name_vi": r["name_vi"],
            "name_en": r["name_en"],
            "valid_from": date.fromisoformat(r["valid_from"]) if r["valid_from"] else None,
            "valid_to": date.fromisoformat(r["valid_to"]) if r["valid_to"] else None,
            "source": r["source"] + (f" ({r['source_url']})" if r["source_url"] else ""),
            "notes": r["notes"],
        }
        for r in _rows(path)
    ]


def load_agencies(conn: Connection, path: Path = AGENCIES_CSV) -> int:
    """Insert or update the agencies of ``path``; returns how many rows changed (none are deleted)."""
    changed = 0
    for r in _rows(path):
        result = conn.execute(
            text(
                """INSERT INTO agency (agency_id, name_vi, name_en, valid_from, valid_to, source, source_url)
                   VALUES (:agency_id, :name_vi, :name_en, :valid_from, :valid_to, :source, :source_url)
                   ON CONFLICT (agency_id) DO UPDATE SET
                       name_vi = EXCLUDED.name_vi, name_en = EXCLUDED.name_en,
                       valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to,
                       source = EXCLUDED.source, source_url = EXCLUDED.source_url
                   WHERE (agency.name_vi, agency.name_en, agency.valid_from, agency.valid_to, agency.source,
                          agency.source_url) IS DISTINCT FROM
                         (EXCLUDED.name_vi, EXCLUDED.name_en, EXCLUDED.valid_from, EXCLUDED.valid_to,
                          EXCLUDED.source, EXCLUDED.source_url)"""
            ),
            {
                **{k: r[k] for k in ("agency_id", "name_vi", "name_en", "source", "source_url")},
                "valid_from": date.fromisoformat(r["valid_from"]) if r["valid_from"] else None,
                "valid_to": date.fromisoformat(r["valid_to"]) if r["valid_to"] else None,
            },
        )
        changed += result.rowcount
    return changed


def link_project_agencies(conn: Connection, path: Path = PROJECT_AGENCIES_CSV) -> int:
    """Set ``project.agency_id`` where a source names the responsible agency; returns rows changed."""
    changed = 0
    for r in _rows(path):
        result = conn.execute(
            text(
                """UPDATE project SET agency_id = :agency_id, agency_source = :basis
                   WHERE project_id = :project_id
                     AND (agency_id, agency_source) IS DISTINCT FROM (:agency_id, :basis)"""
            ),
            {
                "project_id": r["project_id"],
                "agency_id": r["agency_id"],
                "basis": f"{r['basis']} ({r['source_url']})",
            },
        )
        changed += result.rowcount
    return changed
