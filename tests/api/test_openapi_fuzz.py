"""Schemathesis over the whole OpenAPI against a live uvicorn: no 5xx, every status and body documented.

Bounded (a few examples per operation, one fixed seed) so it stays well under two minutes on two cores.
Nothing is excluded: every operation of /openapi.json is tested with every check below, the writes
included (on the module's own copy of the database). Routes left out of the OpenAPI on purpose (the HTML
pages) are not in it.
"""

import os
import subprocess
import sys

import pytest

from tests.servers import planview_server

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "unsupported_method",
    "allow_header_conformance",
)
MAX_EXAMPLES = os.environ.get("PLANVIEW_FUZZ_EXAMPLES", "10")
SEED = os.environ.get("PLANVIEW_FUZZ_SEED", "20261201")


@pytest.fixture(scope="module")
def server(database_url):
    """planview on the module's database in a uvicorn of its own."""
    with planview_server(database_url) as running:
        yield running.url


def test_every_operation_survives_generated_requests(server, tmp_path):
    args = [sys.executable, "-m", "schemathesis.cli", "--no-color", "run", f"{server}/openapi.json"]
    args += ["--checks", ",".join(CHECKS), "--max-examples", MAX_EXAMPLES, "--seed", SEED]
    # one worker: hypothesis' lambda-source cache is not thread-safe (a spurious "Runtime Error")
    args += ["--workers", "1", "--request-timeout", "30"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    summary = result.stdout[result.stdout.find("SUMMARY") :]
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Selected: " in summary and "Tested: " in summary
    selected = summary.split("Selected: ")[1].split("/")
    assert selected[0] == selected[1].split()[0], f"operations left out: {summary}"
