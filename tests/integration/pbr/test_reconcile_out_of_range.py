"""A claim stored with a day no payment period can hold does not stop the reconciliation, on both backends.

Before dates were bounded to the years 1900-2200 (policies/dates.py), a claims file could store a claim
achieved on 0001-01-01 or 9999-12-31: rejected as not_on_rate_card, but kept. Folding it into a quarter then
failed ("year 10000 is out of range", or an assertion for year 1), so the contract could never be reconciled
again, on the command line or the web. Such a claim is put in a row of its own, "dated outside 1900-2200",
with its count and money, so the totals still add up.

FCF-2025-01 on the Fair Chance Fund card, P-001 referred 2025-10-01; the import's as-of is 1 April 2026.
"""

from pathlib import Path

import pytest

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.pbr.claims_import import import_claims
from flows.pbr.participants import import_participants
from flows.pbr.reconcile import OUTSIDE_PERIODS, export_csv, reconcile
from policies import dates
from tests.integration.pbr.test_pbr_imports import CONTRACT, PARTICIPANTS, SENT, claims_csv, stored
from tests.support.builders import fcf_contract

CLAIMS = [
    ("C-1", "P-001", "EMP_ENTRY", "2025-10-06", "", "payslip"),
    ("Y-0", "P-001", "ASSESS_1", "0001-01-01", "", "assessment_form"),
    ("Y-9", "P-001", "ASSESS_1", "9999-12-31", "", "assessment_form"),
]


def test_claims_stored_with_days_outside_any_period_have_a_row_of_their_own(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fcf_contract(settings)
    people = tmp_path / "participants.csv"
    people.write_text(PARTICIPANTS, encoding="utf-8")
    import_participants(settings, people, as_of=SENT, actor="finance")
    path = claims_csv(tmp_path / "claims.csv", CLAIMS)
    with pytest.raises(UserError, match=r":3: achieved_on: 0001-01-01 is outside the years 1900-2200"):
        import_claims(settings, path, as_of=SENT, actor="finance")  # refused now ...
    with monkeypatch.context() as before:  # ... but stored by an earlier release, which took any ISO date
        before.setattr(dates, "YEARS", range(1, 10000))
        import_claims(settings, path, as_of=SENT, actor="finance")
    assert {ref: v[0][0] for ref, v in stored(settings).items()} == {
        "C-1": "accepted",
        "Y-0": "rejected",
        "Y-9": "rejected",
    }

    report = reconcile(settings, CONTRACT)
    rows = {(r["period"], r["outcome"]): (r["claims"], r["rejected_claims"], r["accepted"]) for r in report.rows}
    assert rows == {("2025-Q4", "EMP_ENTRY"): (1, 0, "500.00"), (OUTSIDE_PERIODS, "ASSESS_1"): (2, 2, "0.00")}
    assert OUTSIDE_PERIODS == "dated outside 1900-2200"
    assert (report.totals["claims"], report.totals["accepted"]) == (3, "500.00")
    out = tmp_path / "reconciliation.csv"
    export_csv(report, out)
    assert "dated outside 1900-2200,ASSESS_1,2," in out.read_text(encoding="utf-8")
