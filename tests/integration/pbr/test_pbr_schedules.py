"""Payment schedules: a file per payer, never over another payer's file or a file the run did not write.

FCF-2025-01 with the claims of test_pbr_payments: the 2026-Q1 run pays £9,500.00, 30% and 70% to two payers.
"""

import csv
from pathlib import Path

import pytest

from flows.common.settings import Settings
from flows.pbr.claims_import import import_claims
from flows.pbr.participants import import_participants
from flows.pbr.ratecards import import_rate_card
from tests.integration.pbr.test_pbr_imports import variant
from tests.integration.pbr.test_pbr_payments import CLAIMS, CONTRACT, PARTICIPANTS, Q1_RUN, SENT, write_claims
from tests.support.approvals import approved_run
from tests.support.builders import fcf_contract


def with_claims(settings: Settings, tmp_path: Path, *payer_names: tuple[str, str]) -> Settings:
    fcf_contract(settings, card=None)
    card = variant(tmp_path, "card.yaml", *payer_names)
    import_rate_card(settings, card, as_of=SENT, actor="finance")
    people = tmp_path / "participants.csv"
    people.write_text(PARTICIPANTS, encoding="utf-8")
    import_participants(settings, people, as_of=SENT, actor="finance")
    import_claims(settings, write_claims(tmp_path / "claims.csv", CLAIMS), as_of=SENT, actor="finance")
    return settings


def payer_and_payment(path: str) -> tuple[str, str]:
    with Path(path).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    assert {r[3] for r in rows} == {rows[-1][3]} and rows[-1][4] == "payment"
    return rows[-1][3], rows[-1][9]


@pytest.fixture
def leeds(settings: Settings, tmp_path: Path) -> Settings:
    return with_claims(
        settings, tmp_path, ("name: central fund", "name: NHS Leeds"), ("name: council", "name: NHS-Leeds")
    )


def test_two_payers_whose_names_make_the_same_file_name_get_a_schedule_each(leeds: Settings) -> None:
    run = approved_run(leeds, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance")
    assert len(set(run.schedules)) == 2
    assert [payer_and_payment(p) for p in run.schedules] == [("NHS Leeds", "2850.00"), ("NHS-Leeds", "6650.00")]
    folder = leeds.data_dir / "payments" / CONTRACT / "2026-Q1"
    assert sorted(p.name for p in folder.iterdir()) == sorted(Path(p).name for p in run.schedules)
    again = approved_run(leeds, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance")
    assert again.existing and again.schedules == run.schedules


def test_a_file_the_run_did_not_write_is_left_alone_and_the_schedule_takes_another_name(
    settings: Settings, tmp_path: Path
) -> None:
    fcf = with_claims(settings, tmp_path)
    folder = fcf.data_dir / "payments" / CONTRACT / "2026-Q1"
    folder.mkdir(parents=True)
    (folder / "council.csv").write_text("notes for the council's finance team\n", encoding="utf-8")

    run = approved_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance")
    assert run.schedules == [str(folder / "central-fund.csv"), str(folder / "council-2.csv")]
    assert (folder / "council.csv").read_text(encoding="utf-8") == "notes for the council's finance team\n"
    assert payer_and_payment(run.schedules[1]) == ("council", "6650.00")

    again = approved_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance")  # finds its own files again
    assert again.schedules == run.schedules
    assert sorted(p.name for p in folder.iterdir()) == ["central-fund.csv", "council-2.csv", "council.csv"]
