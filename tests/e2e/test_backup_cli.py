"""`commission backup` and `restore` as a user runs them: a round trip, and each failure one line, exit 1."""

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli


def test_a_backup_restores_into_an_empty_database_and_not_over_one(initialised: Cli, tmp_path: Path) -> None:
    out = initialised.ok("backup", "-o", str(tmp_path / "b.sqlite"))
    assert out.startswith("Backup of the sqlite database at schema ") and str(tmp_path / "b.sqlite") in out
    target = f"sqlite:///{tmp_path / 'restored.db'}"
    assert "Restored " in initialised.ok("restore", str(tmp_path / "b.sqlite"), COMMISSIONING_DATABASE_URL=target)
    line = initialised.fails("restore", str(tmp_path / "b.sqlite"), COMMISSIONING_DATABASE_URL=target)
    assert "is not empty" in line and "restored only into an empty database" in line


def test_a_backup_to_a_full_disk_is_one_line_and_keeps_the_device(initialised: Cli, tmp_path: Path) -> None:
    full = tmp_path / "full"  # a link to /dev/full: ENOSPC on every write
    full.symlink_to("/dev/full")
    assert initialised.fails("backup", "-o", str(full)) == f"error: {full}: cannot be written: No space left on device"
    assert full.is_symlink() and stat.S_ISCHR(os.stat(full).st_mode)


def test_a_backup_to_a_read_only_folder_is_one_line_and_leaves_nothing(initialised: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not supported here")
    try:
        line = initialised.fails("backup", "-o", str(folder / "b.sqlite"))
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    assert line == f"error: {folder / 'b.sqlite'}: cannot be written: Operation not permitted"
    assert list(folder.iterdir()) == []


def test_a_file_that_is_not_a_backup_is_refused(initialised: Cli, tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n")
    line = initialised.fails("restore", str(junk), COMMISSIONING_DATABASE_URL=f"sqlite:///{tmp_path / 'new.db'}")
    assert (
        line
        == f"error: {junk} is not a backup made by `commission backup` (neither SQLite nor pg_dump's custom format)"
    )
    assert not (tmp_path / "new.db").exists()


@pytest.mark.parametrize("name", ["", ".", "./", "/"])
def test_a_backup_to_no_file_name_is_one_line(initialised: Cli, name: str) -> None:
    assert initialised.fails("backup", "-o", name) == f"error: -o: {name!r} is not a file name"


def test_a_backup_over_an_existing_file_is_refused_and_the_file_kept(initialised: Cli, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me\n")
    assert initialised.fails("backup", "-o", str(notes)) == f"error: {notes} exists; refusing to write over it"
    assert notes.read_text() == "keep me\n"


def test_a_damaged_backup_is_refused_in_one_line_and_nothing_restored(initialised: Cli, tmp_path: Path) -> None:
    good = tmp_path / "b.sqlite"
    initialised.ok("backup", "-o", str(good))
    cut = tmp_path / "cut.sqlite"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    target = tmp_path / "new.db"
    line = initialised.fails("restore", str(cut), COMMISSIONING_DATABASE_URL=f"sqlite:///{target}")
    assert line == f"error: {cut} is damaged: database disk image is malformed; nothing was restored"
    assert not target.exists()
