"""The import contracts in pyproject.toml hold, and the checker really reports a broken one."""

import subprocess
import sys
import tomllib
from pathlib import Path

from geo.store.settings import REPO_ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(config: Path) -> subprocess.CompletedProcess:
    assert LINT_IMPORTS.exists(), "import-linter is missing from the venv: run `make setup-test`"
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(config)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _contracts() -> list[dict]:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_the_contracts_cover_layers_forbidden_imports_and_cycles():
    kinds = {c["type"] for c in _contracts()}
    assert {"layers", "forbidden", "acyclic_siblings"} <= kinds
    top = next(c for c in _contracts() if c["type"] == "layers" and "containers" not in c)
    assert top["layers"] == ["cli", "api", "maps", "geo"]


def test_every_import_keeps_the_contracts():
    result = _lint(REPO_ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in result.stdout


def _write_config(path: Path, extra: str) -> Path:
    text = (REPO_ROOT / "pyproject.toml").read_text()
    section = text[text.index("[tool.importlinter]") : text.index("[tool.ruff]")]
    path.write_text(section + extra)
    return path


def test_a_wrong_import_breaks_the_suite(tmp_path):
    # api/ imports geo/ (as it must): a contract forbidding that must be reported broken, which shows
    # the checker sees the real import graph rather than passing vacuously.
    config = _write_config(
        tmp_path / "broken.toml",
        '\n[[tool.importlinter.contracts]]\nname = "deliberately broken"\ntype = "forbidden"\n'
        'source_modules = ["api"]\nforbidden_modules = ["geo"]\n',
    )
    result = _lint(config)
    assert result.returncode != 0
    assert "deliberately broken BROKEN" in result.stdout
    assert "api" in result.stdout and "geo" in result.stdout


def test_a_cycle_is_reported(tmp_path):
    # The same kind of contract as ours over a two-module package that imports itself in a circle.
    package = tmp_path / "circle"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from circle import b\n")
    (package / "b.py").write_text("def f():\n    from circle import a\n")
    contract = next(c for c in _contracts() if c["type"] == "acyclic_siblings")
    config = tmp_path / "cycle.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["circle"]\n\n[[tool.importlinter.contracts]]\n'
        f'name = "{contract["name"]}"\ntype = "acyclic_siblings"\nancestors = ["circle"]\n'
    )
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(config)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0, result.stdout
    assert f"{contract['name']} BROKEN" in result.stdout
