"""What a payment run reads besides the claims it pays: none of it may grow with the claims, participants or ledger
entries runs paid long ago (issue 19: a run paying under 100 claims under 1 s at 10,000,000 claims on PostgreSQL).

- The claims due are read from their index (``ix_pbr_claim_due``) on PostgreSQL too, whatever the planner's
  statistics of the claims say (``models.pbr.claims._due_rows``).
- The participants a proposal was made from are named by the latest of them, read from one end of an index
  (migration 0028), not counted.
- The ledger's statistics are read again (ANALYZE) only when the rows changed since they were last read are more
  than autovacuum would wait for (``models.pbr.bulk.refresh_statistics``).

FCF-2025-01 with the claims of test_pbr_payments: C-1 to C-7 paid by the 2026-Q1 run, C-8 and C-9 due in 2026-Q2.
"""

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import Session

from flows.approvals.service import approve
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.participants import import_participants
from flows.pbr.payment_runs import propose_payment_run
from models.db import make_engine, unit_of_work
from models.pbr.bulk import driver_rows, refresh_statistics
from models.pbr.claims import (
    _BY_INDEX,
    _BY_KEY,
    _due_plan,
    due_claim_rows,
    due_fingerprint,
    latest_participant,
    unpaid_days,
)
from tests.integration.pbr.test_pbr_payments import CONTRACT, Q1_RUN, Q2_RUN, SENT, fcf, q1_paid
from tests.support.approvals import FINANCE, approved_run

__all__ = ["fcf", "q1_paid"]  # the fixtures

Q2_END = dt.date(2026, 6, 30)
SETTINGS = "SELECT current_setting('enable_seqscan'), current_setting('enable_hashjoin'), current_setting('jit')"


def test_the_claims_due_are_read_from_their_index_on_postgresql(fcf: Settings, backend: str) -> None:
    # Planned by its statistics, PostgreSQL read every claim of the table for each of a run's reads of the claims
    # due: at 1,000,000 claims it expected 213,771 due for 1,806, its statistics read before runs paid most of
    # them. Here they are read with every claim due, before the 2026-Q1 run pays 7 of the 9 (one page: it would
    # scan it); each read's plan (auto_explain, sent back as a notice) must
    # name the index of the unpaid, and the planner's settings must be as they were once the read has started.
    if backend != "postgresql":
        pytest.skip("SQLite names the index (INDEXED BY): test_reconcile_sums.py")
    with unit_of_work(database(fcf)) as session:
        session.connection().exec_driver_sql("ANALYZE pbr_claim")
    approved_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance")
    plans: list[str] = []
    with unit_of_work(database(fcf)) as session:
        raw = session.connection().connection.dbapi_connection
        assert raw is not None
        before = list(driver_rows(session, SETTINGS))
        session.connection().exec_driver_sql("LOAD 'auto_explain'")
        for name, value in (("log_min_duration", "0"), ("log_level", "notice"), ("log_nested_statements", "on")):
            session.connection().exec_driver_sql(f"SET LOCAL auto_explain.{name} = '{value}'")
        raw.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))  # type: ignore[attr-defined]
        days = unpaid_days(session=session, contract_id=1, by=Q2_END)
        assert list(driver_rows(session, SETTINGS)) == before
        print_ = due_fingerprint(session=session, contract_id=1, unpaid_by=Q2_END)
        assert list(driver_rows(session, SETTINGS)) == before
        rows = due_claim_rows(session=session, contract_id=1, unpaid_by=Q2_END)
        first = next(rows)
        assert list(driver_rows(session, SETTINGS)) == before  # as they were while the rows are still being read
        due = [first, *rows]
    assert days == [dt.date(2026, 4, 10), dt.date(2026, 5, 4)] and print_.startswith("2 ")
    assert [r[1] for r in due] == ["C-8", "C-9"]
    read = [p for p in plans if "accrued_run_id IS NULL" in p]
    assert len(read) == 4, plans  # and due_claim_rows' count of them first (``_due_plan``)
    for plan in read:
        assert "ix_pbr_claim_due" in plan and "Seq Scan on pbr_claim" not in plan, plan


def test_a_participant_added_while_a_run_waits_makes_it_stale(q1_paid: Settings, tmp_path: Path) -> None:
    # the participants are among a proposal's inputs by their latest id, not their count: one more changes it
    proposal = propose_payment_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="asha")["proposal"]
    people = tmp_path / "more.csv"
    people.write_text("contract,participant,referral_date,date_of_birth\nFCF-2025-01,P-005,2026-04-01,2001-03-03\n")
    with unit_of_work(database(q1_paid)) as session:
        before = latest_participant(session=session, contract_id=1)
    import_participants(q1_paid, people, as_of=SENT.replace(month=6), actor="finance")
    with unit_of_work(database(q1_paid)) as session:
        assert latest_participant(session=session, contract_id=1) > before > 0
        assert latest_participant(session=session, contract_id=2) == 0  # no such contract: none
    with pytest.raises(UserError, match="is stale: the participants changed"):
        approve(q1_paid, proposal["id"], by="ben", roles=FINANCE, as_of=Q2_RUN)


def test_the_latest_participant_is_read_from_its_index(fcf: Settings, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL plans by its statistics (4 participants: one page)")
    with unit_of_work(database(fcf)) as session:
        sql = "EXPLAIN QUERY PLAN SELECT MAX(id) FROM pbr_participant WHERE contract_id = 1"
        plan = list(driver_rows(session, sql))
    assert "ix_pbr_participant_latest" in " ".join(str(step[-1]) for step in plan)


def test_the_participants_corrected_are_read_from_their_own_index(fcf: Settings, backend: str) -> None:
    # every run and its proposal look for the participants corrected since the last run (a handful): from their
    # partial index, not from 0028's index of every participant by id, which has its other columns (migration 0029)
    if backend != "sqlite":
        pytest.skip("PostgreSQL plans by its statistics (4 participants: one page)")
    with unit_of_work(database(fcf)) as session:
        plans = [
            " ".join(str(step[-1]) for step in driver_rows(session, f"EXPLAIN QUERY PLAN {sql}"))
            for sql in (
                "SELECT ref, fingerprint FROM pbr_participant WHERE contract_id = 1 AND redecide = 1",
                "SELECT * FROM pbr_participant WHERE contract_id = 1 AND redecide = 1 ORDER BY id",
            )
        ]
    assert all("ix_pbr_participant_redecide" in plan and "TEMP B-TREE" not in plan for plan in plans), plans


def test_the_statistics_are_read_again_only_when_autovacuum_would(settings: Settings, backend: str) -> None:
    # ANALYZE after every run's approval cost a run paying 1,806 claims 0.7 to 1.5 s at 1,000,000 claims (it samples
    # 30,000 rows whatever the write); now only when the rows changed since the last one, this transaction's among
    # them, pass autovacuum's threshold (50 and a tenth of the table, by default)
    engine = make_engine(settings.database_url)
    try:
        if backend != "postgresql":
            with Session(engine) as session:
                assert refresh_statistics(session, "pbr_ledger") is False  # SQLite plans without them
            return
        with engine.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE stats_probe (n integer)")
            connection.exec_driver_sql("INSERT INTO stats_probe SELECT generate_series(1, 10000)")
            connection.commit()
            connection.exec_driver_sql("SELECT pg_stat_force_next_flush()")  # its 10,000 rows counted before
            connection.commit()
        with Session(engine) as session:
            assert refresh_statistics(session, "stats_probe") is True  # never analysed
            session.commit()
        with Session(engine) as session:
            session.connection().exec_driver_sql("INSERT INTO stats_probe SELECT generate_series(1, 900)")
            assert refresh_statistics(session, "stats_probe") is False  # 900 of 10,000: under 50 + 1,000
            session.connection().exec_driver_sql("INSERT INTO stats_probe SELECT generate_series(1, 200)")
            assert refresh_statistics(session, "stats_probe") is True  # 1,100
            session.rollback()
    finally:
        with engine.connect() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS stats_probe")
            connection.commit()
        engine.dispose()


def test_a_run_of_few_claims_reads_their_participants_paid_so_far_by_key(fcf: Settings, backend: str) -> None:
    # Under a tenth as many claims due as participants paid, each claim's participant's paid so far is read by key,
    # not by hashing every participant's (which the estimate above chose at every size); here 2 claims due (C-8 and
    # C-9) and 34 participants paid, as the planner counts them.
    if backend != "postgresql":
        pytest.skip("SQLite looks each up by key")
    approved_run(fcf, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance")
    plans: list[str] = []
    with unit_of_work(database(fcf)) as session:  # rolled back below: the participants paid are not the ledger's
        connection = session.connection()
        connection.exec_driver_sql("ANALYZE pbr_participant_paid")
        assert _due_plan(session, 1, Q2_END) == _BY_INDEX  # 2 claims due, 4 participants paid: hashed if it likes
        connection.exec_driver_sql(
            "INSERT INTO pbr_participant_paid (contract_id, participant, pence, entries) "
            "SELECT 1, 'X-' || n, 100, 1 FROM generate_series(1, 30) AS n"
        )
        connection.exec_driver_sql("ANALYZE pbr_participant_paid")
        assert _due_plan(session, 1, Q2_END) == _BY_KEY  # 2 claims due, 34 participants paid
        connection.exec_driver_sql("LOAD 'auto_explain'")
        for name, value in (("log_min_duration", "0"), ("log_level", "notice")):
            connection.exec_driver_sql(f"SET LOCAL auto_explain.{name} = '{value}'")
        raw = connection.connection.dbapi_connection
        assert raw is not None
        raw.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))  # type: ignore[attr-defined]
        due = list(due_claim_rows(session=session, contract_id=1, unpaid_by=Q2_END))
        session.rollback()
    assert [r[1] for r in due] == ["C-8", "C-9"]
    [plan] = [p for p in plans if "pbr_participant_paid p" in p]
    assert "Nested Loop" in plan and "Hash" not in plan and "ix_pbr_claim_due" in plan, plan
