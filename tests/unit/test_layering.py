"""The house rules, checked on the code itself: imports point inward, no circles, no module over 400 lines.

- policies/ is the pure domain: no storage, orchestration, delivery or scheduling library, and nothing of
  models/, flows/ or notifications/;
- notifications/ renders and sends plain data: it imports neither models/ nor flows/;
- models/ never imports flows/;
- nothing imports an interface (flows/cli/, flows/web/), and an interface never reaches into models/; the one
  exception is where an interface is mounted: `commission serve` (flows/cli/serve.py) serves the web app;
- no two modules import each other, directly or round a longer circle (imports inside functions count);
- no module is over 400 lines, Alembic's migrations aside.

Each checker is also run on a small tree that breaks its rule, so a checker that could not fail is caught.
"""

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("policies", "models", "flows", "notifications")
IO_LIBRARIES = {"sqlmodel", "sqlalchemy", "prefect", "apprise", "apscheduler"}
INTERFACES = ("flows.cli", "flows.web")
MAX_LINES = 400
# (importer, interface module): the entry point that mounts an interface, the one place allowed to import it.
MOUNTS = {("flows.cli.serve", "flows.web.app")}


def modules(root: Path) -> dict[str, Path]:
    """Every module of the four packages under root, by dotted name (a package by its own name)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if "versions" in parts and "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(path: Path, name: str) -> Iterator[tuple[str, int]]:
    """(module imported, line) for every import in the file, at the top or inside a function."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target, node.lineno
            for alias in node.names:  # `from flows.pbr import claims_import` imports a module too
                yield f"{target}.{alias.name}", node.lineno


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def broken_rule(name: str, target: str) -> str | None:
    """The rule that module ``name`` breaks by importing ``target``, if any."""
    top = target.split(".")[0]
    if within(name, "policies") and (top in IO_LIBRARIES or top in {"models", "flows", "notifications"}):
        return "policies/ imports no I/O and nothing outside policies/"
    if within(name, "notifications") and top in {"models", "flows"}:
        return "notifications/ imports neither models/ nor flows/"
    if within(name, "models") and top == "flows":
        return "models/ never imports flows/"
    mounted = any(name == importer and within(target, interface) for importer, interface in MOUNTS)
    if any(within(target, i) and not within(name, i) for i in INTERFACES) and not mounted:
        return "nothing imports an interface"
    if any(within(name, i) for i in INTERFACES) and top == "models":
        return "an interface calls services, never models/ directly"
    return None


def layering_problems(root: Path) -> list[str]:
    problems: dict[tuple[Path, int, str], str] = {}
    for name, path in modules(root).items():
        for target, line in imports_of(path, name):
            rule = broken_rule(name, target)
            if rule and (path, line, rule) not in problems:
                problems[path, line, rule] = f"{path.relative_to(root)}:{line} imports {target}: {rule}"
    return list(problems.values())


def import_graph(root: Path) -> dict[str, set[str]]:
    known = modules(root)
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for target, _ in imports_of(path, name):
            if target in known and target != name and known[target].name != "__init__.py":
                graph[name].add(target)
    return graph


def circles(root: Path) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    graph = import_graph(root)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def oversized(root: Path) -> dict[str, int]:
    sizes = {name: len(path.read_text().splitlines()) for name, path in modules(root).items()}
    return {name: lines for name, lines in sizes.items() if lines > MAX_LINES}


def test_imports_point_inward() -> None:
    assert layering_problems(ROOT) == []


def test_no_import_circles() -> None:
    assert circles(ROOT) == []


def test_no_module_over_400_lines() -> None:
    assert oversized(ROOT) == {}


def test_the_checks_see_the_whole_house() -> None:
    found = modules(ROOT)
    assert {"policies.money", "policies.pbr.claims", "models.db", "flows.cli", "notifications.base"} <= set(found)
    assert not any("migrations.versions" in name for name in found)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for package in PACKAGES:
        (root / package).mkdir(exist_ok=True)
    return root


@pytest.mark.parametrize(
    ("relative", "text", "rule"),
    [
        ("policies/pbr/bad.py", "def f():\n    from sqlalchemy import select\n", "policies/ imports no I/O"),
        ("policies/bad.py", "from models.db import x\n", "policies/ imports no I/O"),
        ("notifications/bad.py", "import flows.common.settings\n", "notifications/ imports neither"),
        ("models/bad.py", "from flows.common.errors import UserError\n", "models/ never imports flows/"),
        ("flows/pbr/bad.py", "from flows.cli.common import console\n", "nothing imports an interface"),
        ("flows/cli/bad.py", "from models.db import unit_of_work\n", "never models/ directly"),
        ("flows/pbr/bad.py", "def f():\n    from flows.web import app\n", "nothing imports an interface"),
        ("flows/cli/serve.py", "from flows.web.pages import board\n", "nothing imports an interface"),
        ("flows/cli/projects.py", "from flows.web.app import create_app\n", "nothing imports an interface"),
    ],
)
def test_each_layering_rule_catches_its_offender(tmp_path: Path, relative: str, text: str, rule: str) -> None:
    root = _tree(tmp_path, {relative: text})
    problems = layering_problems(root)
    assert len(problems) == 1
    assert rule in problems[0] and relative in problems[0]


def test_serve_may_mount_the_web_app(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"flows/cli/serve.py": "def f():\n    from flows.web.app import create_app\n"})
    assert layering_problems(root) == []


def test_a_circle_through_a_function_level_import_is_caught(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "flows/cycle/__init__.py": "",
            "flows/cycle/projects.py": "def f():\n    from flows.cycle.procurement import timeline_of\n",
            "flows/cycle/procurement.py": "from flows.cycle import projects\n",
            "flows/cycle/gates.py": "from . import projects\n",
        },
    )
    assert circles(root) == [["flows.cycle.procurement", "flows.cycle.projects"]]


def test_a_longer_circle_is_caught(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "models/a.py": "import models.b\n",
            "models/b.py": "from models.c import x\n",
            "models/c.py": "import models.a\n",
        },
    )
    assert circles(root) == [["models.a", "models.b", "models.c"]]


def test_a_long_module_is_caught_but_not_a_migration(tmp_path: Path) -> None:
    long_text = "x = 1\n" * (MAX_LINES + 1)
    root = _tree(
        tmp_path,
        {
            "flows/pbr/long.py": long_text,
            "flows/pbr/just_right.py": "x = 1\n" * MAX_LINES,
            "models/migrations/versions/0001_initial.py": long_text,
        },
    )
    assert oversized(root) == {"flows.pbr.long": MAX_LINES + 1}


def test_importing_every_policy_loads_no_io_library() -> None:
    names = [name for name in modules(ROOT) if within(name, "policies")]
    assert len(names) >= 15
    code = (
        "import sys\n"
        + "".join(f"import {n}\n" for n in names)
        + f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(IO_LIBRARIES)!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


# Libraries that a payment run, its approval and reconcile never use: each costs start-up (Prefect alone about
# 1.7 s of CPU), and every one of these runs is timed as a fresh process (bench/pbr_runs.py).
HEAVY = {"prefect", "apprise", "alembic", "apscheduler", "openpyxl", "httpx", "fastapi", "starlette", "jinja2"}
HEAVY |= {"pendulum", "psycopg", "matplotlib", "yaml", "rich", "typer"}
PROBE = """\
import datetime as dt, sys
from flows.approvals.kinds import kind_of
kind_of("payment_run")  # as `commission approve` finds it: the payment-run code registers it on import
others = ("flows.pbr.clawbacks", "flows.pbr.ratecards", "flows.pbr.recover")  # the other kinds' providers
print(sorted(m for m in sys.modules if m.startswith(others)))
import flows.approvals.service, flows.pbr.payment_runs, flows.pbr.reconcile
from policies.dates import local_date, shown_instant
local_date(dt.datetime.now(dt.UTC)), shown_instant(dt.datetime.now(dt.UTC))
print(sorted({m.split(".")[0] for m in sys.modules} & HEAVY))
"""


def test_a_payment_run_its_approval_and_reconcile_load_no_heavy_library() -> None:
    code = f"HEAVY = set({sorted(HEAVY)!r})\n{PROBE}"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    other_kinds, heavy = out.stdout.strip().splitlines()
    assert heavy == "[]"
    assert other_kinds == "[]"  # approving a payment run loads no clawback, recovery or rate-card code


HELP_PROBE = """\
import sys
from flows.cli import build_app
build_app(["--help"])  # registers every command module, as `commission --help` does
print(sorted({m for m in sys.modules if m.split(".")[0] == "rich" or m.startswith("policies.cycle.gates")}))
"""


def test_the_help_registers_every_command_without_rich_or_the_stage_gates() -> None:
    """A table is drawn, and the gate policy read, by the commands that show them: not when the commands are
    registered (each module's top level), which every `commission --help` does for all of them."""
    out = subprocess.run([sys.executable, "-c", HELP_PROBE], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
