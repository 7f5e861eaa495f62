"""Failures from outside the program (a missing folder, a full disk, a read-only data dir) are one line, exit 1."""

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import COMMISSION, Cli


def test_a_calendar_export_to_a_missing_folder_is_one_line(initialised: Cli) -> None:
    line = initialised.fails("calendar", "export", "-o", "/nonexistent/k.ics")
    assert line.startswith("error: /nonexistent/k.ics: ") and "No such file or directory" in line


def test_a_calendar_export_to_a_full_disk_is_one_line_and_keeps_the_device(initialised: Cli, tmp_path: Path) -> None:
    full = tmp_path / "full"  # a link to /dev/full (ENOSPC on every write), so no test ever replaces /dev/full itself
    full.symlink_to("/dev/full")
    line = initialised.fails("calendar", "export", "-o", str(full))
    assert line == f"error: {full}: cannot be written: No space left on device"
    assert full.is_symlink() and stat.S_ISCHR(os.stat(full).st_mode)


@pytest.mark.parametrize("command", [["projects", "--json"], ["due"], ["calendar", "export"], ["policy", "show"]])
def test_standard_output_on_a_full_disk_is_one_line(initialised: Cli, command: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [COMMISSION, *command], env=initialised.env, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60
        )
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == ["error: standard output: No space left on device"]
