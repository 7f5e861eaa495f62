"""UK9 key dates follow a contract's KPIs, and a contract file given again with other KPIs is refused, on
SQLite and PostgreSQL.

The contracts: "Floating support", £900,000, 3 years from 1 April 2024 (last day 31 March 2027), under £5m.
With KPIs its UK9 notices are due 1 April 2025 (year 1), 1 April 2026 (year 2) and 31 March 2027 (year 3,
by its end); without, none.
"""

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import select

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.contracts.decisions import decide
from flows.contracts.due import due
from flows.contracts.files import read_rows
from flows.contracts.importing import add_contracts
from flows.performance.definitions import set_kpis
from flows.performance.notices import prepare_uk9, publish_notice
from models.contracts import Contract, ContractKeyDate
from models.db import unit_of_work
from models.performance.tables import Kpi
from models.reminders.tables import ReminderReplan
from tests.integration.performance.conftest import REF

ADDED = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
SMALL = "FS-2024-01"
KPIS = [
    ("--kpi", "Tenancies sustained: percentage 85 higher"),
    ("--kpi", "Days to first appointment: days 10 lower"),
    ("--kpi", "Cost per person: money 12000 lower"),
]
YEARLY = [
    (dt.date(2025, 4, 1), "performance_notice:1"),
    (dt.date(2026, 4, 1), "performance_notice:2"),
    (dt.date(2027, 3, 31), "performance_notice:3"),
]


def uk9_dates(settings: Settings, ref: str) -> list[tuple[dt.date, str]]:
    with unit_of_work(database(settings)) as session:
        contract = session.exec(select(Contract).where(Contract.ref == ref)).one()
        rows = session.exec(
            select(ContractKeyDate.due_on, ContractKeyDate.key)
            .where(ContractKeyDate.contract_id == contract.id, ContractKeyDate.kind == "performance_notice")
            .order_by(ContractKeyDate.due_on)
        ).all()
        return [(d, k) for d, k in rows]


def small_contract(settings: Settings, tmp_path: Path, kpis: str = "") -> Path:
    path = tmp_path / "contracts.yaml"
    path.write_text(
        f"- ref: {SMALL}\n"
        "  title: Floating support\n"
        "  provider: Northbridge YP Trust\n"
        "  project: HOM-2024-03\n"
        "  value: '900,000'\n"
        "  start: 2024-04-01\n"
        "  term: '3'\n" + kpis,
        encoding="utf-8",
    )
    return path


def test_kpis_set_gives_a_contract_under_5m_its_uk9_key_dates(contract: Settings, tmp_path: Path) -> None:
    add_contracts(contract, read_rows(small_contract(contract, tmp_path)), as_of=ADDED, actor="t")
    assert uk9_dates(contract, SMALL) == []  # no KPIs, under £5m: no UK9
    done = set_kpis(contract, ref=SMALL, items=KPIS, exemption=None, exemption_reason=None, reason="agreed",
                    as_of=NOW, actor="t")  # fmt: skip
    assert done["changed"] is True
    assert uk9_dates(contract, SMALL) == YEARLY
    with unit_of_work(database(contract)) as session:  # queued: the next sweep plans their reminders
        assert session.exec(select(ReminderReplan)).all()
    # `due` on 1 December 2026 lists year 3's notice, due 31 March 2027, within 120 days.
    listed = [
        (r["contract"], r["key"])
        for r in due(contract, as_of=NOW, within_days=120)
        if r["kind"] == "performance_notice"
    ]
    assert (SMALL, "performance_notice:3") in listed
    # Taking the KPIs off again takes the UK9 dates off.
    set_kpis(contract, ref=SMALL, items=[], exemption=None, exemption_reason=None, reason="none", as_of=NOW,
             actor="t")  # fmt: skip
    assert uk9_dates(contract, SMALL) == []


def test_a_contract_imported_with_kpis_has_them_from_the_start(contract: Settings, tmp_path: Path) -> None:
    path = small_contract(contract, tmp_path, "  kpis: ['Tenancies sustained: percentage 85 higher']\n")
    add_contracts(contract, read_rows(path), as_of=ADDED, actor="t")
    assert uk9_dates(contract, SMALL) == YEARLY


def test_a_notice_published_for_year_1_satisfies_year_1_only(contract: Settings) -> None:
    # The fixture's contract (£6m from 1 April 2025, 3+1 years: last day 31 March 2028) has three KPIs.
    assert uk9_dates(contract, REF) == [
        (dt.date(2026, 4, 1), "performance_notice:1"),
        (dt.date(2027, 4, 1), "performance_notice:2"),
        (dt.date(2028, 3, 31), "performance_notice:3"),
    ]
    before = dt.datetime(2026, 3, 26, 9, 0, tzinfo=dt.UTC)

    def uk9_due() -> list[str]:  # from 26 March 2026, the next 800 days: to 4 June 2028
        rows = due(contract, as_of=before, within_days=800)
        return [r["key"] for r in rows if r["contract"] == REF and r["kind"] == "performance_notice"]

    assert uk9_due() == ["performance_notice:1", "performance_notice:2", "performance_notice:3"]
    prepare_uk9(contract, ref=REF, period="2025-04-01..2026-03-25", as_of=before, actor="t")  # a period over
    done = publish_notice(contract, ref=REF, on=dt.date(2026, 3, 26), reference="012345-2026", period=None,
                          breach=None, as_of=before, actor="t")  # fmt: skip
    assert done["satisfies"] == "performance_notice:1"
    assert uk9_due() == ["performance_notice:2", "performance_notice:3"]


def test_a_break_puts_the_last_notice_on_termination(contract: Settings, tmp_path: Path) -> None:
    add_contracts(contract, read_rows(small_contract(contract, tmp_path)), as_of=ADDED, actor="t")
    set_kpis(contract, ref=SMALL, items=KPIS, exemption=None, exemption_reason=None, reason="agreed", as_of=NOW,
             actor="t")  # fmt: skip
    with unit_of_work(database(contract)) as session:
        row = session.exec(select(Contract).where(Contract.ref == SMALL)).one()
        # A rolling authority break from 1 January 2027 on one month's notice, served 1 December 2026.
        row.breaks = [{"notice": {"amount": 1, "unit": "months"}, "party": "authority", "on": None,
                       "rolling_from": "2027-01-01"}]  # fmt: skip
        session.add(row)
    decide(contract, ref=SMALL, action="break", reason="service redesigned", as_of=NOW, actor="t")
    dates = uk9_dates(contract, SMALL)
    # Ends 1 January 2027: year 3 (from 1 April 2026) is due on termination, that day.
    assert dates == [YEARLY[0], YEARLY[1], (dt.date(2027, 1, 1), "performance_notice:3")]


def test_a_contract_file_given_again_with_other_kpis_is_refused(contract: Settings, tmp_path: Path) -> None:
    kpi = "  kpis:\n    - name: Tenancies sustained\n      unit: percentage\n      target: '85'\n"
    kpi += "      direction: higher\n"
    path = small_contract(contract, tmp_path, kpi)
    add_contracts(contract, read_rows(path), as_of=ADDED, actor="t")
    assert add_contracts(contract, read_rows(path), as_of=NOW, actor="t").unchanged == [SMALL]
    changed = small_contract(contract, tmp_path, kpi.replace("'85'", "'90'"))
    with pytest.raises(UserError) as refused:
        add_contracts(contract, read_rows(changed), as_of=NOW, actor="t")
    said = str(refused.value)
    assert f"{changed}:1: kpis[1].target: Tenancies sustained: target is 85 on contract {SMALL}, 90 here" in said
    assert f"`commission kpis set {SMALL} --reason ...`" in said
    # Nothing changed: the stored target is still 85.
    with unit_of_work(database(contract)) as session:
        [stored] = session.exec(
            select(Kpi.definition).join(Contract, Contract.id == Kpi.contract_id).where(Contract.ref == SMALL)
        ).all()
        assert stored["target"] == "85"
    # So is a file that adds an exemption the contract does not have.
    exempt = small_contract(
        contract, tmp_path, kpi + "  kpi_exemption: light_touch\n  kpi_exemption_reason: Schedule 1\n"
    )
    with pytest.raises(UserError) as refused:
        add_contracts(contract, read_rows(exempt), as_of=NOW, actor="t")
    assert (
        f"{exempt}:1: kpi_exemption: contract {SMALL} has no KPI exemption; this file gives the light_touch "
        "exemption (Schedule 1)"
    ) in str(refused.value)
    # A file naming another KPI is refused the same way.
    renamed = small_contract(contract, tmp_path, kpi.replace("Tenancies sustained", "Tenancies kept"))
    with pytest.raises(
        UserError, match=r"kpis: contract FS-2024-01 already exists with other KPIs \(Tenancies sustained\)"
    ):
        add_contracts(contract, read_rows(renamed), as_of=NOW, actor="t")


def test_the_migration_derives_the_uk9_dates_of_contracts_already_stored(contract: Settings, tmp_path: Path) -> None:
    from sqlalchemy import text

    from models.migrate import upgrade
    from models.revision import SCHEMA_REVISION

    path = small_contract(contract, tmp_path, "  kpis: ['Tenancies sustained: percentage 85 higher']\n")
    add_contracts(contract, read_rows(path), as_of=ADDED, actor="t")
    before = {ref: uk9_dates(contract, ref) for ref in (REF, SMALL)}
    assert before[SMALL] == YEARLY
    engine = database(contract)
    said = "SELECT key, due_on, action, who FROM contract_key_date WHERE kind = 'performance_notice' ORDER BY 1, 2"
    with engine.connect() as conn:
        actions = conn.execute(text(said)).all()
    with engine.begin() as conn:  # a database from before: no UK9 under £5m, and none at the end of the last year
        conn.execute(text("DELETE FROM contract_key_date WHERE kind = 'performance_notice'"))
        conn.execute(text("DELETE FROM reminder_replan"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0010'"))
    upgrade(engine, "0011")  # 0011 alone: the later migrations have already run on this database
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": SCHEMA_REVISION})
    assert {ref: uk9_dates(contract, ref) for ref in (REF, SMALL)} == before
    with engine.connect() as conn:  # worded as the key dates word them
        assert conn.execute(text(said)).all() == actions
    with unit_of_work(engine) as session:
        assert len(session.exec(select(ReminderReplan)).all()) == 2
