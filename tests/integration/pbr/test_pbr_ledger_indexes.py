"""The ledger's indexes a payment run's entries no longer go into (migration 0027): the payer index holds every entry
but the accruals, and the index of what a reversal undoes only the reversals. Each reader of the payer index names
its condition, so that SQLite still reads it; an entry is still reversed at most once, on either backend.

FCF-2025-01 with the claims of test_pbr_payments, C-1 to C-7 paid by the 2026-Q1 run (£9,500.00)."""

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import IntegrityError

from flows.common.runtime import database
from flows.common.settings import Settings
from flows.ocds.facts import _payments
from flows.pbr.lists import ledger_list
from models.db import make_engine, unit_of_work
from models.migrate import downgrade, upgrade
from models.pbr.ledger import (
    ACCRUAL,
    REVERSAL,
    LedgerEntry,
    clawed_back_claims,
    clawed_by_day,
    ledger_of,
    payments_by_run,
)
from models.pbr.reconcile_sums import contract_claims, top_participant
from tests.integration.pbr import test_pbr_payments

fcf, q1_paid = test_pbr_payments.fcf, test_pbr_payments.q1_paid  # the fixtures

AT = dt.datetime(2026, 4, 2, 9, 0, tzinfo=dt.UTC)


def _reversal(contract_id: int, entry_id: int, payer: str, item: str, pence: int) -> LedgerEntry:
    return LedgerEntry(
        **_row(entry_id) | {"contract_id": contract_id, "payer": payer, "item": item, "amount_pence": -pence}
    )


def test_an_entry_is_reversed_once_and_a_second_reversal_of_it_is_refused(q1_paid: Settings) -> None:
    with unit_of_work(database(q1_paid)) as session:
        entries = [e for e in ledger_of(session=session, contract_id=1) if e.kind == ACCRUAL]
        first, other = entries[0], entries[1]
        session.add(_reversal(1, first.id, first.payer, first.item, first.amount_pence))
        session.add(_reversal(1, other.id, other.payer, other.item, other.amount_pence))
        session.flush()
    # entries reversing nothing are many (every accrual); two reversing one and the same entry are not
    with pytest.raises(IntegrityError), unit_of_work(database(q1_paid)) as session:
        session.add(_reversal(1, first.id, first.payer, first.item, first.amount_pence))
        session.flush()
    with unit_of_work(database(q1_paid)) as session:
        reversals = [e.reverses_id for e in ledger_of(session=session, contract_id=1) if e.kind == REVERSAL]
    assert reversals == [first.id, other.id]


def test_the_payer_index_is_read_by_each_of_its_readers_though_it_holds_no_accruals(
    q1_paid: Settings, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's planner uses a partial index only when the WHERE names its condition")
    statements: list[tuple[str, Any]] = []

    def traced(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        statements.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", traced)  # the ledger list, through the ORM
    try:
        assert len(ledger_list(q1_paid, contract="FCF-2025-01", kind="payment").rows) == 2
    finally:
        event.remove(Engine, "before_cursor_execute", traced)
    with unit_of_work(database(q1_paid)) as session:  # the others, some through the driver's cursor
        raw = session.connection().connection.dbapi_connection
        assert raw is not None
        raw.set_trace_callback(lambda statement: statements.append((statement, ())))  # type: ignore[attr-defined]
        assert payments_by_run(session=session, contract_id=1) == {1: {"central fund": 285000, "council": 665000}}
        clawed_by_day(session=session, contract_id=1)
        clawed_back_claims(session=session, contract_id=1)
        top_participant(session, contract_claims(session, 1))
        _payments(session, [1])
        raw.set_trace_callback(None)  # type: ignore[attr-defined]
    readers = [(s, p) for s, p in statements if "pbr_ledger" in s and "kind <> 'accrual'" in s]
    assert len(readers) == 6, statements
    with sqlite3.connect(Path(q1_paid.database_url.removeprefix("sqlite:///"))) as db:
        (index,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'ix_pbr_ledger_contract_payer'").fetchone()
        assert index.endswith("WHERE kind <> 'accrual'"), index
        for statement, parameters in readers:
            plan = " ".join(step[-1] for step in db.execute("EXPLAIN QUERY PLAN " + statement, parameters))
            assert "ix_pbr_ledger_contract_payer" in plan, (statement, plan)


def test_0027_keeps_every_entry_and_the_once_only_reversal_going_down_and_up_again(q1_paid: Settings) -> None:
    # on SQLite the ledger is rebuilt both ways (its inline UNIQUE cannot be dropped or added): with a run's entries
    # and a reversal in it, every entry comes back with its id, and a second reversal of an entry is refused
    def entries() -> list[tuple[object, ...]]:
        with unit_of_work(database(q1_paid)) as session:
            return [tuple(e) for e in ledger_of(session=session, contract_id=1)]

    def second_reversal_refused() -> None:
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(LedgerEntry.__table__.insert(), [_row(first.id)])  # type: ignore[attr-defined]

    with unit_of_work(database(q1_paid)) as session:
        first = next(e for e in ledger_of(session=session, contract_id=1) if e.kind == ACCRUAL)
        session.add(_reversal(1, first.id, first.payer, first.item, first.amount_pence))
    written = entries()
    engine = make_engine(q1_paid.database_url)
    downgrade(engine, "0026")
    second_reversal_refused()
    upgrade(engine)
    second_reversal_refused()
    assert entries() == written and len(written) == 17


def _row(reverses: int) -> dict[str, object]:
    """A reversal of entry ``reverses`` as a row of the ledger's table."""
    return {"contract_id": 1, "payer": "council", "kind": REVERSAL, "item": "outcome", "amount_pence": 1,
            "entry_on": AT.date(), "reverses_id": reverses, "memo": "", "created_at": AT,
            "actor": "finance"}  # fmt: skip


def test_a_contracts_whole_ledger_is_read_by_index_accruals_included(q1_paid: Settings, backend: str) -> None:
    # the corrections read a contract's whole ledger: every entry, in the order written, accruals (which the payer
    # index leaves out) found by the run index, and an entry of no run (a reversal) by the payer index
    with unit_of_work(database(q1_paid)) as session:
        first = next(e for e in ledger_of(session=session, contract_id=1) if e.kind == ACCRUAL)
        session.add(_reversal(1, first.id, first.payer, first.item, first.amount_pence))
    with unit_of_work(database(q1_paid)) as session:
        whole = [e.id for e in ledger_of(session=session, contract_id=1)]
        plain = session.connection().exec_driver_sql("SELECT id FROM pbr_ledger WHERE contract_id = 1 ORDER BY id")
        kinds = {e.kind for e in ledger_of(session=session, contract_id=1)}
        assert whole == list(plain.scalars()) and len(whole) == 17 and kinds == {ACCRUAL, "payment", REVERSAL}
        if backend == "sqlite":
            statements: list[str] = []
            raw = session.connection().connection.dbapi_connection
            assert raw is not None
            raw.set_trace_callback(statements.append)  # type: ignore[attr-defined]
            ledger_of(session=session, contract_id=1)
            raw.set_trace_callback(None)  # type: ignore[attr-defined]
            (statement,) = [s for s in statements if "FROM pbr_ledger" in s]
            plan = [step[-1] for step in raw.execute("EXPLAIN QUERY PLAN " + statement)]
            assert not any(step.startswith("SCAN pbr_ledger") for step in plan), plan
