"""A file given to an import that is a folder, is not there, cannot be read or is empty: said as that, in one line,
by every reader (before its suffix is looked at: a folder was "a file without a suffix")."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flows.common.errors import UserError
from flows.common.files import check_input_file
from flows.common.tabular import open_table
from flows.contracts.files import read_rows
from flows.ocds.sources import files_of
from flows.ocds.validation import validate_file


def _table(path: Path) -> Any:
    return open_table(path, required=("contract",))


def _contracts(path: Path) -> Any:
    return read_rows(path)


def _ocds_validate(path: Path) -> Any:
    return validate_file(path, None)  # type: ignore[arg-type]  (refused before the profile is used)


READERS: dict[str, Callable[[Path], Any]] = {
    "check": check_input_file,
    "table (kpis, claims, participants)": _table,
    "contracts": _contracts,
    "ocds validate": _ocds_validate,
}


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
@pytest.mark.parametrize("name", ["readings", "readings.csv", "book.xlsx"])
def test_a_folder_is_called_a_folder(tmp_path: Path, reader: Callable[[Path], Any], name: str) -> None:
    folder = tmp_path / name
    folder.mkdir()
    with pytest.raises(UserError) as refused:
        reader(folder)
    assert str(refused.value) == f"{folder}: is a folder, not a file; give the file itself"


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
@pytest.mark.parametrize("name", ["readings.csv", "book.xlsx", "contracts.yaml", "data.json"])
def test_an_empty_file_is_called_empty(tmp_path: Path, reader: Callable[[Path], Any], name: str) -> None:
    empty = tmp_path / name
    empty.write_bytes(b"")
    with pytest.raises(UserError) as refused:
        reader(empty)
    assert str(refused.value) == f"{empty}: is empty"


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_a_missing_file_and_an_unreachable_one_are_named(tmp_path: Path, reader: Callable[[Path], Any]) -> None:
    with pytest.raises(UserError) as refused:
        reader(tmp_path / "nope.csv")
    assert str(refused.value) == f"{tmp_path / 'nope.csv'}: no such file"
    (tmp_path / "plain").write_text("x")
    with pytest.raises(UserError) as refused:
        reader(tmp_path / "plain" / "in.csv")  # a file where a folder should be: not readable, said so
    assert str(refused.value) == f"{tmp_path / 'plain' / 'in.csv'}: cannot be read: Not a directory"


def test_an_ocds_import_of_one_empty_file_is_refused_as_empty(tmp_path: Path) -> None:
    (tmp_path / "release.json").write_bytes(b"")
    with pytest.raises(UserError, match=r"release\.json: is empty$"):
        files_of(tmp_path / "release.json")
