"""Claims and participants that cannot be true are refused at import: nothing achieved or referred after the
import's date, nobody born after their referral or over 110 at it. And a claim whose prerequisite a cap took,
in an earlier import, is capped too, not rejected.

The import's as-of is 1 April 2026, 10:00 in London (SENT). Contract FCF-2025-01 is priced on
examples/fair-chance-fund.yaml; P-001 was referred on 2025-10-01, born 2005-01-15.
"""

from pathlib import Path

import pytest

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.pbr.claims_import import import_claims
from flows.pbr.participants import import_participants
from tests.integration.pbr.test_pbr_imports import CONTRACT, PARTICIPANTS, SENT, claims_csv, counts, stored, variant
from tests.support.builders import fcf_contract


@pytest.fixture
def fcf(settings: Settings, tmp_path: Path) -> Settings:
    """FCF-2025-01 with its card and three eligible participants (as in test_pbr_imports)."""
    fcf_contract(settings)
    people = tmp_path / "participants.csv"
    people.write_text(PARTICIPANTS, encoding="utf-8")
    import_participants(settings, people, as_of=SENT, actor="finance")
    return settings


# --------------------------------------------------------------------------- claims achieved in the future


def test_a_claim_achieved_after_the_import_date_is_rejected_with_its_own_reason(fcf: Settings, tmp_path: Path) -> None:
    rows = [
        ("C-1", "P-001", "EMP_ENTRY", "2026-04-01", "", "payslip"),  # the import's own day: fine
        ("C-2", "P-001", "ACC_ENTRY", "2026-04-02", "", "tenancy_agreement"),  # tomorrow
        ("C-3", "P-002", "ACC_ENTRY", "2030-01-01", "", "tenancy_agreement"),
    ]
    report = import_claims(fcf, claims_csv(tmp_path / "claims.csv", rows), as_of=SENT, actor="finance")
    assert (report.accepted, report.rejected, report.payable) == (1, 2, 500)
    rejected = {r.claim_ref: (r.reasons, r.sentences) for r in report.rejections}
    assert rejected["C-2"] == (
        ["achieved_in_future"],
        ["ACC_ENTRY is said to be achieved on 2026-04-02, after the import's date 2026-04-01"],
    )
    assert rejected["C-3"][0][0] == "achieved_in_future"
    assert stored(fcf)["C-2"] == [("rejected", 50000, 0, "achieved_in_future")]


# --------------------------------------------------------------------------- impossible participants

PEOPLE_HEADER = "contract,participant,referral_date,date_of_birth\n"


@pytest.mark.parametrize(
    ("row", "said"),
    [
        (
            f"{CONTRACT},P-020,2025-11-01,2030-05-01",
            ":3: date_of_birth: 2030-05-01 is after the referral on 2025-11-01",
        ),
        (
            f"{CONTRACT},P-021,2025-11-01,1905-05-01",
            ":3: date_of_birth: 1905-05-01 makes the participant 120 at referral on 2025-11-01; over 110 is not "
            "credible",
        ),
        (f"{CONTRACT},P-023,2025-11-01,1890-05-01", ":3: date_of_birth: 1890-05-01 is outside the years 1900-2200"),
        (f"{CONTRACT},P-024,0001-01-01,2005-05-01", ":3: referral_date: 0001-01-01 is outside the years 1900-2200"),
        (
            f"{CONTRACT},P-022,2030-01-01,2005-05-01",
            ":3: referral_date: 2030-01-01 is after the import's date 2026-04-01",
        ),
    ],
    ids=["born-after-referral", "over-110", "born-before-1900", "referred-in-year-1", "referred-in-the-future"],
)
def test_an_impossible_participant_refuses_the_whole_file(fcf: Settings, tmp_path: Path, row: str, said: str) -> None:
    path = tmp_path / "more.csv"
    path.write_text(PEOPLE_HEADER + f"{CONTRACT},P-010,2025-11-01,2005-05-01\n" + row + "\n", encoding="utf-8")
    before = counts(fcf)
    with pytest.raises(UserError) as refused:
        import_participants(fcf, path, as_of=SENT, actor="finance")
    assert str(refused.value) == (
        f"{path}: 1 malformed row(s); no participants from this file were imported:\n  {path}{said}"
    )
    assert counts(fcf) == before  # not even P-010


def test_the_limits_themselves_are_accepted(fcf: Settings, tmp_path: Path) -> None:
    path = tmp_path / "more.csv"
    path.write_text(
        PEOPLE_HEADER
        + f"{CONTRACT},P-030,2026-04-01,2005-05-01\n"  # referred on the import's own day
        + f"{CONTRACT},P-031,2025-11-01,1915-11-01\n"  # 110 on the day of referral
        + f"{CONTRACT},P-032,2025-11-01,2025-11-01\n",  # born on the day of referral
        encoding="utf-8",
    )
    result = import_participants(fcf, path, as_of=SENT, actor="finance")
    assert result.added == 3


# --------------------------------------------------------------------------- a prerequisite the cap took


def test_a_claim_whose_prerequisite_a_cap_took_in_an_earlier_import_is_capped(
    settings: Settings, tmp_path: Path
) -> None:
    fcf_contract(
        settings, card=variant(tmp_path, "capped.yaml", ('contract_cap: "1500000.00"', 'contract_cap: "500.00"'))
    )
    people = tmp_path / "participants.csv"
    people.write_text(PARTICIPANTS, encoding="utf-8")
    import_participants(settings, people, as_of=SENT, actor="finance")
    first = [
        ("C-1", "P-001", "EMP_ENTRY", "2025-10-06", "", "payslip"),  # takes the whole £500.00 cap
        ("C-2", "P-002", "ACC_ENTRY", "2025-11-10", "", "tenancy_agreement"),  # cut to nothing
    ]
    import_claims(settings, claims_csv(tmp_path / "one.csv", first), as_of=SENT, actor="finance")
    second = [
        ("C-3", "P-002", "ACC_S3", "2026-02-10", "", "tenancy_check"),  # needs C-2's ACC_ENTRY
        ("C-4", "P-003", "ACC_S3", "2026-02-10", "", "tenancy_check"),  # P-003 has no entry at all
    ]
    report = import_claims(settings, claims_csv(tmp_path / "two.csv", second), as_of=SENT, actor="finance")
    assert (report.rejected, report.capped) == (2, 1500)
    rows = stored(settings)
    assert rows["C-2"] == [("rejected", 50000, 0, "over_contract_cap")]
    assert rows["C-3"] == [("rejected", 150000, 0, "over_contract_cap")]
    assert rows["C-4"] == [("rejected", 150000, 0, "prerequisite_missing")]
