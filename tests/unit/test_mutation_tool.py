"""The mutation tool's own checks: which changes it makes, what it leaves alone, and that a change takes effect."""

from pathlib import Path

from tests.mutation.mutants import find_mutants, mutated_code
from tests.mutation.mutate import ROOT, keyword, own_tests

SOURCE = '''"""A docstring with 12 in it is left alone."""


def headroom(cap: int, paid: int = 0) -> int:
    """Left under the cap, never below 0."""
    if paid >= cap and not False:
        return 0
    return min(cap - paid, 12)
'''


def test_every_small_change_is_found_in_the_order_of_the_file() -> None:
    changes = [(m.line, m.original, m.mutated) for m in find_mutants(SOURCE)]
    assert changes == [
        (4, "0", "1"),  # a default value
        (6, "paid >= cap and not False", "paid >= cap or not False"),
        (6, "paid >= cap", "paid > cap"),
        (6, "not False", "False"),
        (6, "False", "True"),
        (7, "0", "1"),
        (8, "min(cap - paid, 12)", "max(cap - paid, 12)"),
        (8, "cap - paid", "cap + paid"),
        (8, "12", "13"),
    ]


def test_a_mutant_changes_the_behaviour_and_leaves_the_source_as_it_was() -> None:
    # headroom(10, 4) is min(10 - 4, 12) = 6; with `cap + paid` it is min(14, 12) = 12.
    mutant = next(m for m in find_mutants(SOURCE) if m.mutated == "cap + paid")
    namespace: dict[str, object] = {}
    exec(mutated_code(SOURCE, "<headroom>", mutant), namespace)
    assert namespace["headroom"](10, 4) == 12  # type: ignore[operator]
    exec(compile(SOURCE, "<headroom>", "exec"), namespace)
    assert namespace["headroom"](10, 4) == 6  # type: ignore[operator]


def test_a_flows_module_is_tried_against_the_integration_tests_importing_it_on_sqlite_only() -> None:
    chosen = [p.relative_to(ROOT).as_posix() for p in own_tests(ROOT / "flows/pbr/reconcile.py")]
    assert "tests/integration/pbr/test_pbr_reconcile_workbook.py" in chosen
    assert all(p.startswith("tests/integration/") for p in chosen)
    assert keyword(ROOT / "flows/pbr/reconcile.py", None) == "not postgresql"
    assert keyword(ROOT / "flows/pbr/reconcile.py", "sqlite and reconcil") == "sqlite and reconcil"
    # a policy module keeps its own unit tests, all of them
    assert keyword(ROOT / "policies/pbr/sampling.py", None) is None
    assert Path("tests/unit/pbr/test_sampling.py") in [
        p.relative_to(ROOT) for p in own_tests(ROOT / "policies/pbr/sampling.py")
    ]
