"""Property (SQLite only; each example a fresh pair of databases): random contracts, with variations and
payments (and a reversed payment), survive the round trip export -> import into an empty database -> export,
compiled release for compiled release."""

import dataclasses
import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from flows.common.runtime import database
from flows.common.settings import Settings
from flows.contracts.decisions import decide
from flows.contracts.files import Row
from flows.contracts.importing import add_contracts
from flows.cycle.projects import create_project
from flows.ocds.exporting import export_ocds
from flows.ocds.importing import import_ocds
from flows.ocds.schemas import Profile
from flows.ocds.validation import load_json, validate_file
from models.contracts import get_contract
from models.db import make_engine, unit_of_work
from models.migrate import upgrade
from models.pbr.ledger import LedgerEntry
from tests.support.ocds_compare import compiled_by_ocid

CREATED = dt.datetime(2024, 1, 2, 9, 0, tzinfo=dt.UTC)
VARIED = dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC)
AS_OF = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)

contract = st.fixed_dictionaries(
    {
        "start": st.dates(dt.date(2022, 1, 1), dt.date(2027, 12, 31)),
        "years": st.lists(st.integers(1, 3), min_size=1, max_size=3),
        "value": st.decimals(Decimal("1000"), Decimal("4999999.99"), places=2),  # over £5m needs KPIs
        "notice": st.sampled_from(["3 months", "12 weeks", "30 days", "10 working days"]),
        "break": st.booleans(),
        "new_value": st.none() | st.decimals(Decimal("1000"), Decimal("4999999.99"), places=2),
        "payments": st.lists(st.integers(1, 500_000), max_size=4),
        "reverse_first": st.booleans(),
    }
)


def _fresh(base: Settings, folder: Path, name: str) -> Settings:
    url = f"sqlite:///{folder / f'{name}.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return dataclasses.replace(base, database_url=url)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@hypothesis_settings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a shrink here rebuilds two databases per step
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(contracts=st.lists(contract, min_size=1, max_size=3))
def test_random_contracts_survive_the_round_trip(settings: Settings, contracts: list[dict]) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = _fresh(settings, folder, "source")
        create_project(
            source,
            ref="RT-1",
            title="Round trip",
            service_area="Housing",
            owner="o",
            description="d",
            stage="review",
            as_of=CREATED,
            actor="t",
        )
        for i, c in enumerate(contracts, start=1):
            fields = {
                "ref": f"RT-C{i}",
                "title": f"Contract {i}",
                "provider": f"Provider {i}",
                "project": "RT-1",
                "value": str(c["value"]),
                "start": c["start"].isoformat(),
                "term": "+".join(map(str, c["years"])),
                "extension_notice": c["notice"],
                # an award notice is published, so dated by the export's as-of: an import refuses a later one
                "award_notice_on": min(c["start"] - dt.timedelta(days=40), AS_OF.date()).isoformat(),
            }
            if c["break"]:
                fields |= {"break_on": (c["start"] + dt.timedelta(days=200)).isoformat(), "break_notice": c["notice"]}
            add_contracts(source, [Row("test", fields)], as_of=CREATED, actor="t")
            if c["new_value"] is not None:
                decide(
                    source,
                    ref=f"RT-C{i}",
                    action="vary",
                    reason="scope grew",
                    as_of=VARIED,
                    actor="t",
                    value=str(c["new_value"]),
                )
            with unit_of_work(database(source)) as session:
                found = get_contract(session=session, ref=f"RT-C{i}")
                assert found is not None and found.id is not None
                entries = []
                for k, pence in enumerate(c["payments"]):
                    entry = LedgerEntry(
                        contract_id=found.id,
                        payer="council" if k % 2 else "central fund",
                        kind="payment",
                        item="outcome",
                        amount_pence=-pence,
                        entry_on=dt.date(2026, 1 + k, 15),
                        created_at=VARIED,
                        actor="t",
                    )
                    session.add(entry)
                    session.flush()
                    entries.append(entry)
                if entries and c["reverse_first"]:
                    first = entries[0]
                    session.add(
                        LedgerEntry(
                            contract_id=found.id,
                            payer=first.payer,
                            kind="reversal",
                            item="outcome",
                            amount_pence=-first.amount_pence,
                            entry_on=dt.date(2026, 6, 30),
                            reverses_id=first.id,
                            created_at=VARIED,
                            actor="t",
                        )
                    )
        first_file = folder / "first.json"
        export_ocds(source, first_file, compiled=True, as_of=AS_OF)
        assert validate_file(first_file, Profile.CORE) == []
        target = _fresh(settings, folder, "target")
        import_ocds(target, first_file, as_of=AS_OF, actor="t")
        second_file = folder / "second.json"
        export_ocds(target, second_file, compiled=True, as_of=AS_OF)
        first, second = load_json(first_file), load_json(second_file)
        assert compiled_by_ocid(second) == compiled_by_ocid(first)
        [record] = first["records"]
        made = record["compiledRelease"]["contracts"]
        assert len(made) == len(contracts)
        paid = [t for c in made for t in c.get("implementation", {}).get("transactions", [])]
        assert len(paid) == sum(
            len(c["payments"]) + (1 if c["payments"] and c["reverse_first"] else 0) for c in contracts
        )
        assert sum(len(c.get("amendments", [])) for c in made) == sum(c["new_value"] is not None for c in contracts)
