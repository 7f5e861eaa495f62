"""The schema comes only from Alembic, matches the models, and protects the event log."""

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import SQLModel

import models.approvals
import models.cycle
import models.events
import models.pbr.claims
import models.pbr.ledger
import models.pbr.ratecards
import models.performance.tables
import models.web_jobs
from models.db import make_engine, schema_revision
from models.migrate import downgrade, head_revision, upgrade
from models.pbr.claim_sums_kept import KEPT_TABLES
from models.revision import SCHEMA_REVISION
from tests.support.ledger_totals import disagreements

TABLES = {
    "project",
    "evidence",
    "stage_record",
    "gate_decision",
    "event",
    "proposal",
    "proposal_approval",
    "key_date_handled",
    "web_job",
    "sign_in_failure",
    "alembic_version",
}


def test_the_schema_revision_constant_is_alembics_head() -> None:
    assert head_revision() == SCHEMA_REVISION


def test_upgrade_creates_every_table_and_is_safe_to_repeat(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    assert schema_revision(engine) is None
    upgrade(engine)
    upgrade(engine)
    assert schema_revision(engine) == SCHEMA_REVISION
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_the_migrations_match_the_models(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    upgrade(engine)
    dialect = engine.dialect.name

    def on_this_database(obj: object, name: str | None, kind: str, reflected: bool, compare_to: object) -> bool:
        # an index the models make on one database only (``Index(...).ddl_if(dialect=...)``) is not expected on
        # the other
        only = getattr(getattr(obj, "_ddl_if", None), "dialect", None)
        if kind == "table" and reflected and compare_to is None and name in KEPT_TABLES:
            return False  # the claims' sums kept on PostgreSQL by triggers (0031): in no model, tested below
        return only is None or only == dialect

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": on_this_database})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_downgrade_to_nothing_and_back(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    upgrade(engine)
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert schema_revision(engine) == SCHEMA_REVISION


def test_claims_keep_no_foreign_keys_from_0017_and_get_them_back_below_it(fresh_database_url: str) -> None:
    # 0017 drops the three keys a stored claim was checked by (contract, import, rate card); the ledger's key
    # to its claim stays. Going back to 0016 puts the three back.
    engine = make_engine(fresh_database_url)
    upgrade(engine)
    assert inspect(engine).get_foreign_keys("pbr_claim") == []
    ledger = {
        (k["referred_table"], tuple(k["constrained_columns"])) for k in inspect(engine).get_foreign_keys("pbr_ledger")
    }
    assert ("pbr_claim", ("claim_id",)) in ledger
    downgrade(engine, "0016")
    keys = {
        (k["referred_table"], tuple(k["constrained_columns"])) for k in inspect(engine).get_foreign_keys("pbr_claim")
    }
    assert keys == {("contract", ("contract_id",)), ("claim_import", ("import_id",)), ("rate_card", ("rate_card_id",))}
    upgrade(engine)
    assert inspect(engine).get_foreign_keys("pbr_claim") == []


def test_the_ledgers_payer_and_claim_indexes_carry_the_reconciled_columns_from_0020(fresh_database_url: str) -> None:
    # 0020 widens two ledger indexes so that reconciliation sums by payer and by claim from them alone; going
    # back to 0019 gives them their old columns. No index is added or lost either way.
    def indexes() -> dict[str, list[str]]:
        return {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("pbr_ledger")}

    engine = make_engine(fresh_database_url)
    upgrade(engine)
    after = indexes()
    payer = ["contract_id", "payer", "kind", "item", "run_id", "claim_id", "amount_pence"]
    assert after["ix_pbr_ledger_contract_payer"] == payer
    assert after["ix_pbr_ledger_claim"] == ["claim_id", "kind", "amount_pence"]
    downgrade(engine, "0019")
    before = indexes()
    assert before["ix_pbr_ledger_contract_payer"] == ["contract_id", "payer"]
    assert before["ix_pbr_ledger_claim"] == ["claim_id", "kind"]
    # 0021 drops the participants' sums index (the running totals replace it), 0025 the outcomes' for the fees'
    # index, and 0027 makes reverses_id's UNIQUE an index: back at 0019 they are as they were
    fees = {"ix_pbr_ledger_fees", "uq_pbr_ledger_reverses"}
    gone = {"ix_pbr_ledger_participant_sums", "ix_pbr_ledger_outcome_sums"}
    # (PostgreSQL lists the index of the UNIQUE reverses_id, a constraint there, among the indexes)
    assert set(before) - {"pbr_ledger_reverses_id_key"} == (set(after) - fees) | gone
    upgrade(engine)
    assert indexes() == after


def test_the_due_claims_index_carries_what_a_run_reads_from_0022_and_0023(fresh_database_url: str) -> None:
    # 0022 adds the payable pence at the end of the index of unpaid claims (the sum of the due claims reads it
    # alone); 0023 puts the id after the reference, then the participant and the outcome (a run reads the claims
    # due from it alone, in its order); going back takes them out in turn. It stays partial throughout: only the
    # claims still to pay.
    def due_index() -> tuple[list[str], str]:
        (found,) = [i for i in inspect(engine).get_indexes("pbr_claim") if i["name"] == "ix_pbr_claim_due"]
        where = found["dialect_options"][f"{engine.dialect.name}_where"]
        return found["column_names"], " ".join(str(where).split())

    engine = make_engine(fresh_database_url)
    upgrade(engine)
    columns, where = due_index()
    assert columns == ["contract_id", "achieved_on", "ref", "id", "participant", "outcome", "payable_pence"]
    assert "accrued_run_id IS NULL" in where
    downgrade(engine, "0022")
    assert due_index() == (["contract_id", "achieved_on", "ref", "payable_pence"], where)
    downgrade(engine, "0021")
    assert due_index() == (["contract_id", "achieved_on", "ref"], where)
    upgrade(engine)
    assert due_index() == (columns, where)


def test_reconciles_claim_sums_index_comes_with_0024_on_sqlite_only(fresh_database_url: str) -> None:
    # 0024 adds the index reconcile reads a contract's claims from by day and outcome, with what it sums of them,
    # on SQLite (PostgreSQL's reconcile sums them in one statement without it: there it would only cost every
    # claims import); going back to 0023 drops it.
    def sums_index() -> list[list[str]]:
        return [i["column_names"] for i in inspect(engine).get_indexes("pbr_claim") if i["name"] == "ix_pbr_claim_sums"]

    engine = make_engine(fresh_database_url)
    upgrade(engine)
    columns = ["contract_id", "achieved_on", "outcome", "verdict", "claimed_pence", "payable_pence", "capped_pence"]
    expected = [columns] if engine.dialect.name == "sqlite" else []
    assert sums_index() == expected
    downgrade(engine, "0023")
    assert sums_index() == []
    upgrade(engine)
    assert sums_index() == expected


def test_reconciles_indexes_of_the_claims_with_reasons_and_the_accepted_by_participant_come_with_0026_on_sqlite_only(
    fresh_database_url: str,
) -> None:
    # 0026 adds the two partial indexes reconcile sums a contract's claims by reasons and its accepted claims by
    # participant from, on SQLite only (as 0024's); going back to 0025 drops them.
    def claim_indexes() -> dict[str, tuple[list[str], str]]:
        wanted = ("ix_pbr_claim_reasons", "ix_pbr_claim_participant")
        found = [i for i in inspect(engine).get_indexes("pbr_claim") if i["name"] in wanted]
        where = {i["name"]: i.get("dialect_options", {}).get("sqlite_where") for i in found}
        return {i["name"]: (i["column_names"], " ".join(str(where[i["name"]]).split())) for i in found}

    engine = make_engine(fresh_database_url)
    upgrade(engine)
    expected = {
        "ix_pbr_claim_reasons": (
            ["contract_id", "reasons", "claimed_pence", "payable_pence", "capped_pence"],
            "reasons <> ''",
        ),
        "ix_pbr_claim_participant": (
            ["contract_id", "participant", "verdict", "payable_pence"],
            "verdict IN ('accepted', 'partly_accepted')",
        ),
    }
    expected = expected if engine.dialect.name == "sqlite" else {}
    assert claim_indexes() == expected
    downgrade(engine, "0025")
    assert claim_indexes() == {}
    upgrade(engine)
    assert claim_indexes() == expected


def test_the_outcomes_sums_index_gives_way_to_a_partial_index_of_the_fees_from_0025(fresh_database_url: str) -> None:
    # 0025 drops the index of the sums by outcome (two entries a claim, read by nothing since the running totals)
    # for one of the fees accrued, holding only the entries that are not a claim's outcome; 0024 has it back.
    def indexes() -> dict[str, tuple[list[str], str | None]]:
        found = inspect(engine).get_indexes("pbr_ledger")
        where = f"{engine.dialect.name}_where"
        return {i["name"]: (i["column_names"], _text(i.get("dialect_options", {}).get(where))) for i in found}

    engine = make_engine(fresh_database_url)
    upgrade(engine)
    columns, where = indexes()["ix_pbr_ledger_fees"]
    assert columns == ["contract_id", "item", "kind", "participant", "month"]
    assert where is not None and "<>" in where and "outcome" in where
    assert "ix_pbr_ledger_outcome_sums" not in indexes()
    downgrade(engine, "0024")
    assert "ix_pbr_ledger_fees" not in indexes()
    assert indexes()["ix_pbr_ledger_outcome_sums"] == (["contract_id", "item", "kind", "outcome", "amount_pence"], None)
    upgrade(engine)
    assert indexes()["ix_pbr_ledger_fees"] == (columns, where)


def test_the_payer_index_leaves_out_accruals_and_reversals_are_unique_where_given_from_0027(
    fresh_database_url: str,
) -> None:
    # 0027 makes the ledger's payer index partial (every entry but the accruals) and its UNIQUE reverses_id a
    # unique index of the entries that reverse one; 0026 has them back as they were.
    def ledger() -> tuple[dict[str, tuple[list[str | None], bool, str | None]], list[list[str]]]:
        where = f"{engine.dialect.name}_where"
        wanted = ("ix_pbr_ledger_contract_payer", "uq_pbr_ledger_reverses")
        found = [i for i in inspect(engine).get_indexes("pbr_ledger") if i["name"] in wanted]
        uniques = [u["column_names"] for u in inspect(engine).get_unique_constraints("pbr_ledger")]
        return {
            str(i["name"]): (i["column_names"], i["unique"], _text(i.get("dialect_options", {}).get(where)))
            for i in found
        }, uniques

    engine = make_engine(fresh_database_url)
    upgrade(engine)
    payer = ["contract_id", "payer", "kind", "item", "run_id", "claim_id", "amount_pence"]
    indexes, uniques = ledger()
    assert indexes["uq_pbr_ledger_reverses"][:2] == (["reverses_id"], True)
    assert "reverses_id IS NOT NULL" in str(indexes["uq_pbr_ledger_reverses"][2])
    assert indexes["ix_pbr_ledger_contract_payer"][:2] == (payer, False)
    assert "accrual" in str(indexes["ix_pbr_ledger_contract_payer"][2])
    assert uniques == []
    downgrade(engine, "0026")
    assert ledger() == ({"ix_pbr_ledger_contract_payer": (payer, False, None)}, [["reverses_id"]])
    upgrade(engine)
    assert ledger() == (indexes, uniques)


def test_the_participants_have_an_index_by_contract_and_id_from_0028(fresh_database_url: str) -> None:
    # 0028: every run names its contract's latest participant (one end of this index) where it counted them all
    def participants() -> dict[str, list[str | None]]:
        return {str(i["name"]): i["column_names"] for i in inspect(engine).get_indexes("pbr_participant")}

    engine = make_engine(fresh_database_url)
    upgrade(engine)
    after = participants()
    assert after["ix_pbr_participant_latest"] == ["contract_id", "id"]
    downgrade(engine, "0027")
    assert "ix_pbr_participant_latest" not in participants()
    upgrade(engine)
    assert participants() == after


def test_the_participants_paid_so_far_are_kept_in_key_order_on_sqlite_from_0029(fresh_database_url: str) -> None:
    # 0029: on SQLite pbr_participant_paid is a WITHOUT ROWID table (a run reads a participant's row with each
    # claim due: one b-tree, not its key's index and then the row); its rows stay through the change both ways
    def paid() -> tuple[bool | None, list[tuple[object, ...]]]:
        with engine.connect() as conn:
            rows = [tuple(r) for r in conn.exec_driver_sql(
                "SELECT contract_id, participant, pence, entries FROM pbr_participant_paid ORDER BY 1, 2"
            )]  # fmt: skip
            if engine.dialect.name != "sqlite":
                return None, rows
            sql = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'pbr_participant_paid'"
            ).scalar_one()
        return str(sql).upper().endswith("WITHOUT ROWID"), rows

    engine = make_engine(fresh_database_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO pbr_participant_paid (contract_id, participant, pence, entries) "
            "VALUES (2, 'P-2', 150000, 2), (1, 'P-9', 50000, 1), (1, 'P-1', 100000, 1)"
        )
    rows = [(1, "P-1", 100000, 1), (1, "P-9", 50000, 1), (2, "P-2", 150000, 2)]
    sqlite = engine.dialect.name == "sqlite"
    assert paid() == (True if sqlite else None, rows)
    downgrade(engine, "0028")
    assert paid() == (False if sqlite else None, rows)
    upgrade(engine)
    assert paid() == (True if sqlite else None, rows)


def test_the_claims_marked_accrued_at_other_than_accepted_have_a_partial_index_from_0030(
    fresh_database_url: str,
) -> None:
    # 0030: reconcile looks up in the ledger only the claims marked accrued_differs (a few), from their own index
    def claims() -> tuple[set[str], dict[str, tuple[list[str | None], str | None]]]:
        columns = {str(c["name"]) for c in inspect(engine).get_columns("pbr_claim")}
        indexes = {
            str(i["name"]): (i["column_names"], _text(i.get("dialect_options", {}).get(f"{dialect}_where")))
            for i in inspect(engine).get_indexes("pbr_claim")
        }
        return columns, indexes

    engine = make_engine(fresh_database_url)
    dialect = engine.dialect.name
    upgrade(engine)
    columns, indexes = claims()
    assert "accrued_differs" in columns
    assert indexes["ix_pbr_claim_differs"][0] == ["contract_id"]
    downgrade(engine, "0029")
    columns, indexes = claims()
    assert "accrued_differs" not in columns and "ix_pbr_claim_differs" not in indexes
    upgrade(engine)
    assert claims()[1]["ix_pbr_claim_differs"][0] == ["contract_id"]


def test_the_claims_sums_are_kept_beside_them_on_postgresql_from_0031(fresh_database_url: str) -> None:
    # 0031: on PostgreSQL triggers keep the claims' sums by (contract, day, outcome) and their accepted pence by
    # participant; the claims already stored are summed by the migration. SQLite keeps none.
    columns = "contract_id, import_id, line, ref, fingerprint, participant, outcome, achieved_on, claimed_pence, "
    columns += "price_pence, payable_pence, capped_pence, verdict, evidence, reasons, notes"
    engine = make_engine(fresh_database_url)
    upgrade(engine)
    downgrade(engine, "0030")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"INSERT INTO pbr_claim ({columns}) VALUES "
            "(1, 1, 2, 'C-1', 'f1', 'P-1', 'EDU', '2026-01-05', 50000, 50000, 50000, 0, 'accepted', '', '', ''), "
            "(1, 1, 3, 'C-2', 'f2', 'P-1', 'EDU', '2026-01-05', 60000, 50000, 20000, 30000, 'partly_accepted', "
            "'', 'over_cap', ''), "
            "(1, 1, 4, 'C-3', 'f3', 'P-2', 'EMP', '2026-01-05', 70000, 0, 0, 0, 'rejected', '', 'unknown', '')"
        )
    upgrade(engine)

    def kept() -> tuple[set[str], set[tuple[object, ...]], set[tuple[object, ...]], set[tuple[object, ...]]]:
        tables = set(inspect(engine).get_table_names()) & set(KEPT_TABLES)
        if not tables:
            return tables, set(), set(), set()
        with engine.connect() as conn:
            own, top, reasons = (
                {tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {name}")} for name in KEPT_TABLES
            )
            assert disagreements(conn) == {}
        return tables, own, top, reasons

    day = dt.date(2026, 1, 5)
    if engine.dialect.name == "sqlite":
        assert kept() == (set(), set(), set(), set())
        return
    assert kept() == (
        set(KEPT_TABLES),
        {(1, day, "EDU", 2, 0, 110000, 70000, 30000, 70000), (1, day, "EMP", 1, 1, 70000, 0, 0, 0)},
        {(1, "P-1", 2, 70000)},
        {(1, "over_cap", 1, 10000), (1, "unknown", 1, 70000)},
    )
    with engine.begin() as conn:  # every kind of write: a claim added, one re-decided, one deleted
        conn.exec_driver_sql(
            f"INSERT INTO pbr_claim ({columns}) VALUES "
            "(1, 2, 2, 'C-4', 'f4', 'P-2', 'EMP', '2026-01-05', 40000, 40000, 40000, 0, 'accepted', '', '', '')"
        )
        conn.exec_driver_sql("UPDATE pbr_claim SET verdict = 'rejected', payable_pence = 0 WHERE ref = 'C-1'")
        conn.exec_driver_sql("UPDATE pbr_claim SET accrued_run_id = 7 WHERE ref = 'C-2'")  # not summed: no change
        conn.exec_driver_sql("DELETE FROM pbr_claim WHERE ref = 'C-3'")
    assert kept()[1:] == (
        {(1, day, "EDU", 2, 1, 110000, 20000, 30000, 20000), (1, day, "EMP", 1, 0, 40000, 40000, 0, 40000)},
        {(1, "P-1", 1, 20000), (1, "P-2", 1, 40000)},
        {(1, "over_cap", 1, 10000), (1, "unknown", 0, 0)},
    )
    downgrade(engine, "0030")
    assert kept() == (set(), set(), set(), set())


def _text(where: object) -> str | None:
    return None if where is None else " ".join(str(where).split())


@pytest.mark.parametrize("statement", ["UPDATE event SET actor = 'someone else'", "DELETE FROM event"])
def test_the_event_log_refuses_updates_and_deletes(fresh_database_url: str, statement: str) -> None:
    engine = make_engine(fresh_database_url)
    upgrade(engine)
    now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            models.events.Event.__table__.insert(),  # type: ignore[attr-defined]
            {
                "effective_at": now,
                "recorded_at": now,
                "actor": "a",
                "entity": "project",
                "entity_ref": "P-1",
                "action": "ProjectCreated",
            },
        )
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.exec_driver_sql(statement)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT actor FROM event").scalar_one() == "a"


def test_sqlite_runs_with_foreign_keys_and_wal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO stage_record (project_id, cycle, kind, value, recorded_on, note, recorded_at, recorded_by) "
            "VALUES (999, 1, 'award', 'x', '2026-01-01', '', '2026-01-01 00:00:00', 'a')"
        )


def test_release_digests_come_with_0032_and_an_older_process_keeps_none(fresh_database_url: str) -> None:
    # 0032 adds ocds_process.release_digests; a process stored before it has NULL there (its releases' contents were
    # never kept, so unknown), and going back to 0031 takes the column away with the row kept.
    from sqlalchemy import text

    engine = make_engine(fresh_database_url)
    upgrade(engine, "0031")
    at = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO project (ref, title, service_area, owner, description, stage, cycle, stage_entered_at, "
                "created_at) VALUES ('OC-1', 't', 'a', 'o', '', 'review', 1, :at, :at)"
            ),
            {"at": at},
        )
        conn.execute(
            text(
                "INSERT INTO ocds_process (ocid, project_id, release_ids, compiled, unmapped, source, imported_at) "
                "SELECT 'ocds-1', id, '[\"r1\"]', '{}', '[]', 'a.json', :at FROM project"
            ),
            {"at": at},
        )
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT ocid, release_digests FROM ocds_process")).all() == [("ocds-1", None)]
    downgrade(engine, "0031")
    assert "release_digests" not in {c["name"] for c in inspect(engine).get_columns("ocds_process")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT ocid FROM ocds_process")).all() == [("ocds-1",)]
    upgrade(engine)
