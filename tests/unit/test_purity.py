"""policies/ is the pure domain: no storage, orchestration, delivery or scheduling imports."""

import ast
import subprocess
import sys
from pathlib import Path

import policies

FORBIDDEN = {"sqlmodel", "sqlalchemy", "prefect", "apprise", "apscheduler"}
POLICY_DIR = Path(policies.__file__).parent


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_policy_module_imports_an_io_library() -> None:
    modules = sorted(POLICY_DIR.glob("*.py"))
    assert len(modules) >= 5
    offenders = {p.name: imported_roots(p) & FORBIDDEN for p in modules if imported_roots(p) & FORBIDDEN}
    assert offenders == {}


def test_the_scan_would_catch_an_offender(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom sqlalchemy import select\nimport prefect.flows\n")
    assert imported_roots(bad) & FORBIDDEN == {"sqlalchemy", "prefect"}


def test_importing_every_policy_loads_none_of_them() -> None:
    names = [f"policies.{p.stem}" for p in sorted(POLICY_DIR.glob("*.py")) if p.stem != "__init__"]
    code = (
        "import sys\n"
        + "".join(f"import {n}\n" for n in names)
        + f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN)!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
