"""The claims import through COPY on PostgreSQL gives exactly what the SQLite import gives, row by row.

The same two files, with rejections of most kinds in them, are imported one after the other into a fresh
SQLite database and a fresh PostgreSQL one; every stored claim (line, verdict, money, reasons, notes,
fingerprint), every report and every event must be the same. On PostgreSQL the batch is cut to two rows, so
the claims are decided in many batches of whole participants, against a book of each batch's own history.
Contract FCF-2025-01 is priced on examples/fair-chance-fund.yaml (£500 for EMP_ENTRY and ACC_ENTRY, with a
payslip and a tenancy agreement; ACC_S3 £1,500 with a tenancy check, at least 3 months after ACC_ENTRY).
"""

import datetime as dt
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings, load_settings
from flows.pbr import claims_copy
from flows.pbr.claims_import import import_claims
from flows.pbr.participants import import_participants
from models.db import make_engine, unit_of_work
from models.migrate import upgrade
from models.pbr import claims_stage
from tests.integration.conftest import create_pg_database
from tests.support.builders import FCF_CARD, fcf_contract

SENT = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
CONTRACT = "FCF-2025-01"
HEADER = "contract,claim_ref,participant,outcome,achieved_on,amount,evidence\n"
PARTICIPANTS = (
    "contract,participant,referral_date,date_of_birth\n"
    f"{CONTRACT},P-001,2025-10-01,2005-01-15\n"
    f"{CONTRACT},P-002,2025-11-03,2003-06-01\n"
    f"{CONTRACT},P-003,2025-10-15,2004-02-29\n"
)
FIRST = [  # line: what the rules decide, by hand
    ("C-1", "P-001", "ACC_ENTRY", "2025-10-20", "", "tenancy_agreement"),  # 2: accepted, £500
    ("C-2", "P-001", "EMP_ENTRY", "2025-10-06", "", "payslip"),  # 3: accepted, £500
    ("C-3", "P-001", "ACC_S3", "2026-01-05", "", "tenancy_check"),  # 4: rejected, not before 2026-01-20
    ("C-4", "P-002", "EMP_ENTRY", "2025-11-10", "333.33", "payslip"),  # 5: accepted, £333.33 (below price)
    ("C-5", "P-009", "EMP_ENTRY", "2025-11-10", "", "payslip"),  # 6: rejected, no such participant
    ("C-1", "P-003", "EMP_ENTRY", "2025-11-01", "", "payslip"),  # 7: rejected, C-1 used on line 2
    ("C-6", "P-003", "EMP_ENTRY", "2025-11-01", "600.00", "payslip"),  # 8: partly accepted, £500 of £600
    ("C-7", "P-002", "ACC_ENTRY", "2025-11-20", "", ""),  # 9: rejected, no tenancy agreement
    ("C-8", "P-002", "EMP_ENTRY", "2025-12-01", "", "payslip"),  # 10: rejected, EMP_ENTRY already paid
]
SECOND = [
    ("C-1", "P-001", "ACC_ENTRY", "2025-10-20", "", "tenancy_agreement"),  # 2: unchanged (first file's line 2)
    ("C-3", "P-001", "ACC_S3", "2026-01-25", "", "tenancy_check"),  # 3: accepted, the rejected C-3 corrected
    ("C-2", "P-002", "ACC_ENTRY", "2025-12-01", "", "tenancy_agreement"),  # 4: rejected, C-2 accepted before
    ("C-9", "P-003", "ACC_ENTRY", "2025-11-05", "", "tenancy_agreement"),  # 5: accepted, £500
]
STORED = (
    "SELECT i.rows, c.line, c.ref, c.participant, c.outcome, c.achieved_on, c.evidence, c.amount_pence, "
    "c.claimed_pence, c.price_pence, c.payable_pence, c.capped_pence, c.verdict, c.reasons, c.notes, c.fingerprint "
    "FROM pbr_claim c JOIN claim_import i ON i.id = c.import_id ORDER BY i.imported_at, c.line"
)


def claims_csv(path: Path, rows: Sequence[tuple[str, ...]]) -> Path:
    path.write_text(HEADER + "".join(f"{CONTRACT},{','.join(r)}\n" for r in rows), encoding="utf-8")
    return path


def on(url: str, data: Path, monkeypatch: pytest.MonkeyPatch, card: Path = FCF_CARD) -> Settings:
    """Settings for a migrated, empty database at ``url``, with FCF-2025-01 and its three participants."""
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("COMMISSIONING_DATABASE_URL", url)
    monkeypatch.setenv("COMMISSIONING_DATA_DIR", str(data))
    monkeypatch.setenv("COMMISSIONING_ACTOR", "test-commissioner")
    settings = load_settings()
    fcf_contract(settings, card=card)
    people = data.parent / f"participants-{data.name}.csv"
    people.write_text(PARTICIPANTS, encoding="utf-8")
    import_participants(settings, people, as_of=SENT, actor="finance")
    return settings


def outcome(settings: Settings, files: Sequence[Path]) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]], list[Any]]:
    """Import ``files`` in turn, a day apart: the reports, the stored claims and the events' payloads."""
    reports = [
        import_claims(settings, path, as_of=SENT + dt.timedelta(days=n), actor="finance").as_dict()
        for n, path in enumerate(files)
    ]
    with unit_of_work(database(settings)) as session:
        connection = session.connection()
        stored = [tuple(str(v) for v in row) for row in connection.execute(text(STORED))]
        events = [
            json.loads(row[0]) if isinstance(row[0], str) else row[0]  # JSON text on SQLite
            for row in connection.execute(text("SELECT after FROM event WHERE action = 'claims_imported' ORDER BY id"))
        ]
    return reports, stored, events


@pytest.fixture
def both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> tuple[str, str]:
    """The URLs of a fresh SQLite database and a fresh PostgreSQL one."""
    postgres = create_pg_database(request.getfixturevalue("postgres_server_url"), "commissioning_copy")
    monkeypatch.setattr(claims_copy, "BATCH", 2)  # many batches of whole participants
    return f"sqlite:///{tmp_path / 'commissioning.db'}", postgres


def test_postgresql_through_copy_stores_what_sqlite_stores_row_by_row(
    both: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [claims_csv(tmp_path / "first.csv", FIRST), claims_csv(tmp_path / "second.csv", SECOND)]
    lite = outcome(on(both[0], tmp_path / "lite", monkeypatch), files)
    pg = outcome(on(both[1], tmp_path / "pg", monkeypatch), files)
    reports, stored, _ = lite
    verdicts = [(row[0], row[1], row[12], row[10]) for row in stored]  # the file's rows, line, verdict, payable
    assert verdicts == [
        ("9", "2", "accepted", "50000"),
        ("9", "3", "accepted", "50000"),
        ("9", "4", "rejected", "0"),
        ("9", "5", "accepted", "33333"),
        ("9", "6", "rejected", "0"),
        ("9", "7", "rejected", "0"),
        ("9", "8", "partly_accepted", "50000"),
        ("9", "9", "rejected", "0"),
        ("9", "10", "rejected", "0"),
        ("4", "3", "accepted", "150000"),
        ("4", "4", "rejected", "0"),
        ("4", "5", "accepted", "50000"),
    ]
    assert [r["unchanged"] for r in reports] == [0, 1]
    assert [r["payable"] for r in reports] == ["1833.33", "2000.00"]  # 500+500+333.33+500; 1500+500
    assert pg[1] == stored  # row by row: every value the same
    assert pg[2] == lite[2]  # the events
    for mine, theirs in zip(pg[0], reports, strict=True):
        assert {k: v for k, v in mine.items() if k != "source"} == {k: v for k, v in theirs.items() if k != "source"}


def test_a_contract_whose_cap_is_in_reach_is_decided_together_the_same_on_both(
    both: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A contract cap of £1,200: the first file's four claims of £500 or less could pass it. Taken by date,
    # C-2 (6 Oct) and C-1 (20 Oct) are paid £500 each, £1,000; C-6 (1 Nov) gets the last £200 of its £500;
    # C-4 (10 Nov) is cut to nothing.
    card = tmp_path / "capped.yaml"
    card.write_text(FCF_CARD.read_text(encoding="utf-8").replace('"1500000.00"', '"1200.00"'), encoding="utf-8")
    files = [claims_csv(tmp_path / "first.csv", FIRST)]
    lite = outcome(on(both[0], tmp_path / "lite", monkeypatch, card), files)
    pg = outcome(on(both[1], tmp_path / "pg", monkeypatch, card), files)
    payable = {row[2]: row[10] for row in lite[1] if row[12] != "rejected"}
    assert payable == {"C-1": "50000", "C-2": "50000", "C-6": "20000"}
    assert pg[1] == lite[1]
    assert pg[2] == lite[2]


def test_a_malformed_file_is_refused_on_postgresql_with_nothing_kept(
    both: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = on(both[1], tmp_path / "pg", monkeypatch)
    path = claims_csv(tmp_path / "bad.csv", [*FIRST[:2], ("C-10", "P-002", "EMP_ENTRY", "2025-13-01", "", "payslip")])
    with pytest.raises(UserError) as refused:
        import_claims(settings, path, as_of=SENT, actor="finance")
    assert f"{path}:4: achieved_on:" in str(refused.value)
    with unit_of_work(database(settings)) as session:
        assert session.connection().execute(text("SELECT count(*) FROM pbr_claim")).scalar_one() == 0


def test_a_nul_byte_past_the_first_block_is_refused_on_postgresql_naming_its_line(
    both: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reader looks for NUL bytes in the first 4,096 bytes only; 80 rows of about 60 bytes come first,
    # so the NUL in line 82's participant reaches COPY, which cannot store it.
    settings = on(both[1], tmp_path / "pg", monkeypatch)
    rows = [(f"C-{n}", "P-001", "EMP_ENTRY", "2025-10-06", "", "payslip") for n in range(80)]
    path = claims_csv(tmp_path / "nul.csv", [*rows, ("C-80", "P-0\x0001", "EMP_ENTRY", "2025-10-06", "", "payslip")])
    assert path.stat().st_size > 4096
    with pytest.raises(UserError) as refused:
        import_claims(settings, path, as_of=SENT, actor="finance")
    assert str(refused.value) == f"{path}:82: participant: has a NUL byte; save it as UTF-8 (CSV UTF-8 in Excel)"
    with unit_of_work(database(settings)) as session:
        assert session.connection().execute(text("SELECT count(*) FROM pbr_claim")).scalar_one() == 0


def test_backslashes_and_a_literal_backslash_n_or_t_are_stored_as_given_on_both(
    both: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The claim rows go to PostgreSQL as COPY text built by the import itself, where a backslash, a tab and
    # "\N" (COPY's NULL) mean something: each must arrive as the file gave it. C\N is a new reference
    # (accepted, £500); C\1's evidence "pay\slip" is no payslip (rejected); C\t2 (a backslash and a t, COPY's
    # tab) is a new reference (accepted, £500); line 5 reuses C\N (rejected, a duplicate). A real tab in a
    # reference is refused as a control character (test_one_line_cells.py).
    rows = [
        ("C\\N", "P-001", "EMP_ENTRY", "2025-10-06", "", "payslip"),  # 2
        ("C\\1", "P-002", "EMP_ENTRY", "2025-11-10", "", "pay\\slip"),  # 3
        ("C\\t2", "P-002", "ACC_ENTRY", "2025-11-20", "", "tenancy_agreement"),  # 4
        ("C\\N", "P-003", "EMP_ENTRY", "2025-11-01", "", "payslip"),  # 5
    ]
    files = [claims_csv(tmp_path / "odd.csv", rows)]
    lite = outcome(on(both[0], tmp_path / "lite", monkeypatch), files)
    pg = outcome(on(both[1], tmp_path / "pg", monkeypatch), files)
    assert [(row[2], row[6], row[12]) for row in lite[1]] == [
        ("C\\N", "payslip", "accepted"),
        ("C\\1", "pay\\slip", "rejected"),
        ("C\\t2", "tenancy_agreement", "accepted"),
        ("C\\N", "payslip", "rejected"),
    ]
    assert pg[1] == lite[1]
    assert pg[2] == lite[2]
    assert [{k: v for k, v in r.items() if k != "source"} for r in pg[0]] == [
        {k: v for k, v in r.items() if k != "source"} for r in lite[0]
    ]


def test_two_batches_decided_at_once_one_in_a_forked_process_store_the_same(
    both: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # From APART_FROM new claims two batches are decided at once, the second in a forked process; with it at 0
    # and batches of two rows, every pair of batches of the first file is split so. The rows, events and
    # reports are those of SQLite, which decides these few claims in one process: only "workers" differs.
    monkeypatch.setattr(claims_copy, "APART_FROM", 0)
    files = [claims_csv(tmp_path / "first.csv", FIRST), claims_csv(tmp_path / "second.csv", SECOND)]
    lite = outcome(on(both[0], tmp_path / "lite", monkeypatch), files)
    pg = outcome(on(both[1], tmp_path / "pg", monkeypatch), files)
    assert pg[1] == lite[1]
    assert pg[2] == lite[2]
    assert [r["workers"] for r in lite[0]] == [1, 1]
    assert [r["workers"] for r in pg[0]] == [2, 2]  # the second file: three new claims, two batches
    for mine, theirs in zip(pg[0], lite[0], strict=True):
        assert {k: v for k, v in mine.items() if k not in ("source", "workers")} == {
            k: v for k, v in theirs.items() if k not in ("source", "workers")
        }


@pytest.mark.parametrize("who", ["worker", "parent"])
def test_a_failure_in_either_deciding_process_keeps_nothing_and_leaves_no_process_behind(
    both: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, who: str
) -> None:
    # Two batches at once (APART_FROM 0, batches of two rows): the forked process, or this one, fails to
    # make its rows (a full disk, say) while the batches before may still be going in. Nothing is kept, the
    # forked process is gone, and the connection is left as the failure found it (no COPY half sent).
    settings = on(both[1], tmp_path / "pg", monkeypatch)
    monkeypatch.setattr(claims_copy, "APART_FROM", 0)
    parent, make = os.getpid(), claims_copy.copy_block

    def make_or_fail(lines: Any) -> bytes:
        if (os.getpid() != parent) == (who == "worker"):
            raise OSError(28, "No space left on device")
        return make(lines)

    monkeypatch.setattr(claims_copy, "copy_block", make_or_fail)
    before = sorted((Path(f"/proc/{os.getpid()}/task") / str(os.getpid()) / "children").read_text().split())
    with pytest.raises((RuntimeError, OSError)) as raised:
        import_claims(settings, claims_csv(tmp_path / "first.csv", FIRST), as_of=SENT, actor="finance")
    assert "No space left on device" in str(raised.value)
    assert ("worker 1 failed" in str(raised.value)) == (who == "worker")
    with unit_of_work(database(settings)) as session:
        assert session.connection().execute(text("SELECT count(*) FROM pbr_claim")).scalar_one() == 0
    after = sorted((Path(f"/proc/{os.getpid()}/task") / str(os.getpid()) / "children").read_text().split())
    assert after == before


def test_the_staged_file_is_read_whole_twice_on_postgresql_its_summary_and_its_malformed_rows(
    both: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One scan sums the staged file up (every distinct value, and each contract's kinds for the caps), and one
    # looks for malformed rows: six more, each over every staged row, did the rest before. The second file's C-1
    # is unchanged and alone of its kind (20 Oct, ACC_ENTRY): the kinds the caps count are the summary's, less
    # those of the rows found unchanged, and that kind is left out, as when the server counted them.
    settings = on(both[1], tmp_path / "pg", monkeypatch)
    first, second = claims_csv(tmp_path / "first.csv", FIRST), claims_csv(tmp_path / "second.csv", SECOND)
    import_claims(settings, first, as_of=SENT, actor="finance")
    reads: list[str] = []
    kinds: list[tuple[Any, ...]] = []
    rows, over_caps = claims_stage._rows, claims_copy.first_over_caps

    def counted(session: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if "claims_stage" in sql:
            reads.append(sql)
        return rows(session, sql, params)

    def seen(counts: Any, *rest: Any) -> Any:
        kinds.extend(counts)
        return over_caps(kinds, *rest)

    monkeypatch.setattr(claims_stage, "_rows", counted)
    monkeypatch.setattr(claims_copy, "first_over_caps", seen)
    report = import_claims(settings, second, as_of=SENT + dt.timedelta(days=1), actor="finance")
    assert (report.added, report.unchanged) == (3, 1)
    assert len(reads) == 2, reads
    assert sorted(kinds) == [  # C-9, C-2 and C-3; not C-1's
        (dt.date(2025, 11, 5), "ACC_ENTRY", None, 1),
        (dt.date(2025, 12, 1), "ACC_ENTRY", None, 1),
        (dt.date(2026, 1, 25), "ACC_S3", None, 1),
    ]
