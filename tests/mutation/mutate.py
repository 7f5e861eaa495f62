"""Mutation testing of one module: change it one small thing at a time, run its own unit tests, count what they catch.

    ./dev mutate policies/contracts/key_dates.py            # the module's own unit tests
    ./dev mutate policies/pbr/caps.py policies/pbr/book.py  # several modules, one score each and a total
    ./dev mutate policies/dates.py --tests tests/unit/test_dates.py --line 40-80

A mutant is the module with one change: a comparison made strict or loose (`<` to `<=`), an arithmetic
operator swapped (`+` to `-`), a whole number made one bigger (12 to 13), `True` made `False`, `and` made
`or`, a `not` dropped, `min` made `max`, `break` made `continue`. Docstrings, type annotations, decorators and
strings are left alone. Each mutant is tested in a forked child that serves the changed module through an
import hook: the file on disk is never touched, so a Ctrl-C (or a crash) leaves the tree as it was.

The tests are the module's own: `tests/unit/<capability>/` for a module of `policies/<capability>/`, and
every unit test file that imports the module by name, example tests first and property tests last, stopping
at the first failure. Hypothesis runs with no example database and derandomized, so a score is repeatable.

A module of `flows/` (a service that reads and writes the database) has no unit tests of its own: its tests are
the integration test files that import it by name, run on SQLite only (`-k "not postgresql"`, since every
integration test is run once per backend), and `--tests` with `--line` keep such a run short:

    ./dev mutate flows/pbr/reconcile.py --tests tests/integration/pbr/test_pbr_reconcile_workbook.py --line 67-170
    ./dev mutate flows/pbr/payment_runs.py -k "sqlite and not property"   # -k: pytest's own selection

A mutant the tests do not catch is printed as `file:line: original -> mutant`. Survivors explained in
tests/mutation/equivalent.md (a table: module, line, change, why) are reported as equivalent; the score
counts them as standing all the same.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import re
import resource
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import CodeType, ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: the project's packages
from tests.mutation.mutants import find_mutants, mutated_code

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("policies", "models", "flows", "notifications", "tests")
MEMORY_LIMIT = 3 * 1024**3
EQUIVALENTS = ROOT / "tests" / "mutation" / "equivalent.md"


class _ServeMutant(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """An import hook: the named module is built from the mutated code instead of its file."""

    def __init__(self, name: str, path: Path, code: CodeType) -> None:
        self.name, self.path, self.code = name, path, code

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None):  # type: ignore[no-untyped-def]
        if fullname != self.name:
            return None
        return importlib.util.spec_from_file_location(fullname, self.path, loader=self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        exec(self.code, module.__dict__)


def own_tests(module_path: Path) -> list[Path]:
    """The module's unit tests: its capability's folder and every unit test importing it; examples first.

    A module of ``flows/``: every integration test file importing it by name (run on SQLite, see ``keyword``)."""
    relative = module_path.resolve().relative_to(ROOT)
    dotted = ".".join(relative.with_suffix("").parts)
    parent, _, leaf = dotted.rpartition(".")
    by_name = rf"from {re.escape(dotted)} import|import {re.escape(dotted)}\b"
    imports = re.compile(rf"^\s*({by_name}|from {re.escape(parent)} import .*\b{leaf}\b)", re.MULTILINE)
    unit = ROOT / "tests" / "unit"
    chosen = set()
    if relative.parts[0] == "flows":
        unit = ROOT / "tests" / "integration"
    elif len(relative.parts) == 3 and (unit / relative.parts[1]).is_dir():
        chosen.update(path for path in (unit / relative.parts[1]).glob("test_*.py"))
    chosen.update(path for path in unit.rglob("test_*.py") if imports.search(path.read_text()))
    # Stop-at-first-failure pays most when the quick, direct tests go first.
    return sorted(chosen, key=lambda p: ("propert" in p.name, not imports.search(p.read_text()), str(p)))


def _hypothesis_profile() -> None:
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "mutation", database=None, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
    )


def keyword(module_path: Path, given: str | None) -> str | None:
    """The pytest ``-k`` expression: the one given, else SQLite only for a module of flows/ (its integration
    tests run once per backend, and PostgreSQL's copy of each run would only double the time)."""
    if given is not None:
        return given
    return "not postgresql" if module_path.resolve().relative_to(ROOT).parts[0] == "flows" else None


def _run_child(tests: list[Path], hook: _ServeMutant | None, report_modules: Path | None, select: str | None) -> int:
    """In a forked child: install the hook, run pytest quietly, return its exit code."""
    os.setpgid(0, 0)
    # A mutant that turns `k += 1` into `k -= 1` loops, appending for ever: cap its memory, the timeout ends it.
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.dont_write_bytecode = True
    if hook is not None:
        sys.meta_path.insert(0, hook)
    import pytest

    args = [str(t) for t in tests]
    args += ["-x", "-q", "-p", "no:cacheprovider", "--hypothesis-profile=mutation", "-W", "ignore"]
    args += ["-k", select] if select else []
    code = int(pytest.main(args))
    if report_modules is not None:
        report_modules.write_text("\n".join(sys.modules))
    return code


def _fork_run(
    tests: list[Path], hook: _ServeMutant | None, timeout: float, report: Path | None = None, select: str | None = None
) -> str:
    """Run the tests in a forked child: 'passed', 'failed', 'timeout' or 'error'."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            code = _run_child(tests, hook, report, select)
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                _kill(pid)
                return "timeout"
            time.sleep(0.02)
    except BaseException:
        _kill(pid)
        raise
    code = os.waitstatus_to_exitcode(status)
    return {0: "passed", 1: "failed", 2: "failed"}.get(code, "error")


def _kill(pid: int) -> None:
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        with contextlib.suppress(ProcessLookupError):
            kill()
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _warm_up(loaded: Path) -> None:
    """Import in this process every library the tests loaded (never the project), so each fork starts warm."""
    for name in loaded.read_text().split():
        if name.split(".")[0] in PROJECT or name.startswith(("prefect", "__main__")):
            continue
        # A library that will not import out of its usual order is simply left for the child to load.
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def equivalents() -> set[tuple[str, int, str]]:
    """(module, line, change) of every mutant explained in tests/mutation/equivalent.md."""
    if not EQUIVALENTS.exists():
        return set()
    listed = set()
    for row in EQUIVALENTS.read_text().splitlines():
        # Cells split on pipes; a pipe inside a change (a set union) is written \|.
        cells = [c.replace("\\|", "|").strip() for c in re.split(r"(?<!\\)\|", row.strip().strip("|"))]
        if len(cells) >= 4 and cells[1].isdigit():
            listed.add((cells[0].strip("`"), int(cells[1]), " ".join(cells[2].replace("`", "").split())))
    return listed


def earlier_run(output: Path, relative: str) -> tuple[dict[int, str], int, int]:
    """From the saved output of an earlier run: the survivors of ``relative`` (their numbers in that run,
    with how they read), and how many mutants that run tried and killed."""
    text = output.read_text()
    found = re.finditer(rf"survived \[(\d+)/\d+\] ({re.escape(relative)}:.*?)(   \(equivalent, listed\))?$", text, re.M)
    standing = {int(match[1]): match[2] for match in found}
    # An --again run ends with the totals counting the run before it; a whole run, with its own.
    summary = re.search(
        rf"^{re.escape(relative)}: with the \d+ caught before, (\d+) mutants, (\d+) killed", text, re.MULTILINE
    ) or re.search(rf"^{re.escape(relative)}: (\d+) mutants, (\d+) killed", text, re.MULTILINE)
    if summary is None:
        raise SystemExit(f"{output} has no finished run of {relative}")
    return standing, int(summary[1]), int(summary[2])


def mutate(
    module: Path,
    tests: list[Path],
    lines: range | None,
    limit: int | None,
    again: Path | None = None,
    select: str | None = None,
) -> tuple[int, int]:
    """Try every mutant of one module; print survivors and the score; return (tried, killed).

    ``again``: the saved output of an earlier run, with the tests only added to since: only its survivors
    are tried (a mutant the tests caught then, they still catch), and the score counts its kills too."""
    relative = str(module.resolve().relative_to(ROOT))
    dotted = ".".join(Path(relative).with_suffix("").parts)
    source = module.read_text()
    mutants = [m for m in find_mutants(source) if lines is None or m.line in lines][:limit]
    killed_before = 0
    numbered = list(enumerate(mutants, 1))  # each mutant keeps its number in the whole run, --again or not
    everyone = len(mutants)
    if again is not None:
        standing, tried_before, killed_before = earlier_run(again, relative)
        if tried_before != len(mutants):
            raise SystemExit(f"{relative} has {len(mutants)} mutants now, {tried_before} in {again}: run it whole")
        if any(mutants[n - 1].describe(relative) != said for n, said in standing.items()):
            raise SystemExit(f"{relative} has changed since {again}: run it whole")
        numbered = [(n, mutants[n - 1]) for n in sorted(standing)]
        mutants = [mutant for _, mutant in numbered]
        print(f"{relative}: again, the {len(mutants)} of {tried_before} mutants that survived in {again}")
    print(f"{relative}: {len(mutants)} mutants, tests: {' '.join(str(t.relative_to(ROOT)) for t in tests)}")
    started = time.monotonic()
    if select:
        print(f"{relative}: only the tests pytest -k selects: {select}")
    if _fork_run(tests, None, timeout=600, select=select) != "passed":
        print(f"{relative}: the tests fail without any mutant; fix them first", file=sys.stderr)
        raise SystemExit(1)
    # Generous: a busy machine can slow a run several times over, and a false timeout would count as caught.
    timeout = 5 * (time.monotonic() - started) + 60
    listed = equivalents()
    killed = timeouts = 0
    standing: list[str] = []
    tried = 0
    try:
        for number, mutant in numbered:
            code = mutated_code(source, str(module.resolve()), mutant)
            outcome = _fork_run(tests, _ServeMutant(dotted, module.resolve(), code), timeout, select=select)
            tried += 1
            if outcome in ("failed", "timeout", "error"):
                killed += 1
                if outcome == "timeout":  # named, so a slow machine's false catch can be looked into
                    timeouts += 1
                    print(f"  timed out [{number}/{everyone}] {mutant.describe(relative)}", flush=True)
            else:
                known = (relative, mutant.line, " ".join(f"{mutant.original} -> {mutant.mutated}".split())) in listed
                line = mutant.describe(relative) + ("   (equivalent, listed)" if known else "")
                standing.append(line)
                print(f"  survived [{number}/{everyone}] {line}", flush=True)
    except KeyboardInterrupt:
        print(f"\ninterrupted after {tried} of {len(mutants)} mutants; the tree is unchanged", file=sys.stderr)
    score = 100 * killed / tried if tried else 100.0
    unexplained = sum("(equivalent, listed)" not in s for s in standing)
    print(
        f"{relative}: {tried} mutants, {killed} killed ({timeouts} by timeout), {len(standing)} standing "
        f"({unexplained} not in equivalent.md): score {score:.1f}%"
    )
    if again is not None:
        tried, killed = tried_before, killed_before + killed
        print(
            f"{relative}: with the {killed_before} caught before, {tried} mutants, {killed} killed: "
            f"score {100 * killed / tried:.1f}%"
        )
    return tried, killed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev mutate", description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="+", type=Path, help="module files, e.g. policies/contracts/key_dates.py")
    parser.add_argument("--tests", nargs="+", type=Path, help="test files to run instead of the module's own")
    parser.add_argument("--line", help="only mutants on these lines, e.g. 40-80")
    parser.add_argument(
        "-k", "--keyword", help='a pytest -k expression choosing among the tests (default for flows/: "not postgresql")'
    )
    parser.add_argument("--limit", type=int, help="only the first N mutants (a quick look)")
    parser.add_argument(
        "--again", type=Path, help="the saved output of an earlier run: try only its survivors (after adding tests)"
    )
    options = parser.parse_args(argv)
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    lines = None
    if options.line:
        first, _, last = options.line.partition("-")
        lines = range(int(first), int(last or first) + 1)
    _hypothesis_profile()
    with tempfile.TemporaryDirectory(prefix="mutate-") as scratch:
        loaded = Path(scratch) / "modules"
        first_tests = options.tests or own_tests(options.modules[0])
        _fork_run(first_tests, None, timeout=600, report=loaded, select=keyword(options.modules[0], options.keyword))
        if loaded.exists():
            _warm_up(loaded)
    total_tried = total_killed = 0
    for module in options.modules:
        tests = [t.resolve() for t in options.tests] if options.tests else own_tests(module)
        select = keyword(module, options.keyword)
        tried, killed = mutate(module, tests, lines, options.limit, options.again, select)
        total_tried += tried
        total_killed += killed
    if len(options.modules) > 1:
        score = 100 * total_killed / total_tried if total_tried else 100.0
        print(f"all {len(options.modules)} modules: {total_tried} mutants, {total_killed} killed: score {score:.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
