"""A YAML or CSV key that means nothing, or a YAML key given twice, is named rather than silently
dropped or overwritten: a misspelt cap would store a card with no cap, a repeated ref would import the
last one."""

import datetime as dt
from pathlib import Path

import pytest

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.contracts.files import read_rows
from flows.pbr.ratecards import import_rate_card

NOV_23 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def refused_card(settings: Settings, path: Path) -> str:
    with pytest.raises(UserError) as refused:
        import_rate_card(settings, path, as_of=NOV_23, actor="t")
    return str(refused.value)


def test_a_repeated_key_in_a_contracts_yaml_entry_names_the_file_both_lines_and_the_key(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("contracts:\n  - ref: T-3\n    ref: T-4\n    title: T\n")
    with pytest.raises(UserError) as refused:
        read_rows(path)
    assert str(refused.value) == f"{path}:3: ref is given twice in one entry (lines 2 and 3)"


def test_a_repeated_key_in_a_rate_card_names_every_repetition(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "card.yaml"
    path.write_text(
        "contract: FCF-1\ncontract_cap: '5.00'\ncontract_cap: '9.00'\n"
        "outcomes:\n  - {code: B1, name: B, price: '1.00', price: '2.00'}\n"
    )
    assert refused_card(settings, path) == (
        f"{path}:3: contract_cap is given twice in one entry (lines 2 and 3)\n"
        f"{path}:5: price is given twice in one entry (both on line 5)"
    )


def test_misspelt_rate_card_columns_are_named_with_the_nearest_known_name(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "card.csv"
    path.write_text(
        "contract,effective_from,referral_from,referral_to,code,name,price,contract_capp,times_payabel\n"
        "FCF-1,2025-10-01,2025-10-01,2026-09-30,B1,B,1.00,5.00,3\n"
    )
    message = refused_card(settings, path)
    assert message.startswith(f"{path}:1: unknown column(s): ")
    assert "'contract_capp' (did you mean 'contract_cap'?)" in message
    assert "'times_payabel' (did you mean 'times_payable'?)" in message


def test_misspelt_rate_card_yaml_keys_are_named_with_the_nearest_known_name(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "card.yaml"
    path.write_text(
        "contract: FCF-1\neffective_from: 2025-10-01\nreferral_from: 2025-10-01\nreferral_to: 2026-09-30\n"
        "contract_capp: '5.00'\noutcomes:\n  - {code: B1, name: B, price: '1.00', times_payabel: 3}\n"
    )
    assert refused_card(settings, path).splitlines()[1:] == [
        f"  {path}: contract_capp: is not a rate card field; did you mean 'contract_cap'?",
        f"  {path}:7: times_payabel: is not a rate card field; did you mean 'times_payable'?",
    ]


def test_an_unknown_key_in_a_contracts_yaml_entry_is_named_like_an_unknown_csv_column(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "contracts:\n  - ref: A-1\n    brake_on: 2027-01-01\n"
        "  - ref: A-2\n    breaks:\n      - {on: 2027-01-01, notise: 3 months}\n"
    )
    with pytest.raises(UserError) as refused:
        read_rows(path)
    assert str(refused.value).splitlines() == [
        f"{path}:2: unknown field 'brake_on' (did you mean 'break_on'?)",
        f"{path}:6: unknown field breaks: 'notise' (did you mean 'notice'?)",
    ]
