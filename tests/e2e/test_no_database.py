"""A mistyped COMMISSIONING_DATA_DIR: read and flow commands refuse in one line and create nothing; init creates."""

from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

READS = [
    ["ledger"],
    ["contracts", "list"],
    ["reconcile", "--contract", "CON-1"],  # a flow command: it starts Prefect, whose home is in the data dir
    ["due"],
    ["projects"],
    ["kpis", "import", "readings.csv"],
]


@pytest.mark.parametrize("args", READS, ids=lambda a: " ".join(a))
def test_a_command_on_a_data_dir_that_is_not_there_refuses_and_creates_nothing(
    cli: Cli, tmp_path: Path, args: list[str]
) -> None:
    mistyped = tmp_path / "comissioning"
    (tmp_path / "readings.csv").write_text("contract,kpi,period,value\n", encoding="utf-8")
    args = [str(tmp_path / a) if a == "readings.csv" else a for a in args]
    line = cli.fails(*args, COMMISSIONING_DATA_DIR=str(mistyped))
    assert line == f"error: no database at {mistyped / 'commissioning.db'}; run `commission init` first"
    assert not mistyped.exists()


def test_backup_of_a_database_that_is_not_there_refuses_and_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    line = cli.fails("backup", "-o", str(tmp_path / "b.sqlite"))
    assert "no database at" in line and "run `commission init` first" in line
    assert not cli.data_dir.exists() and not (tmp_path / "b.sqlite").exists()


def test_init_still_creates_the_data_dir_and_the_database(cli: Cli) -> None:
    assert "(created)" in cli.ok("init")
    assert (cli.data_dir / "commissioning.db").is_file()
