"""The README's examples, run in order as printed, on a fresh data directory.

The block after "Examples, in order:" is the walk-through a new user follows on
the day: every `commission ...` line in it must succeed (exit 0, no traceback).
"""

import re
import shlex
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

ROOT = Path(__file__).resolve().parents[2]


def example_commands(readme: str, after: str = "Examples, in order:") -> list[list[str]]:
    """The `commission` command lines of the ```sh block after ``after``: continuations joined, comments dropped."""
    start = readme.index(after)
    block = re.search(r"```sh\n(.*?)```", readme[start:], re.S)
    assert block is not None, f"no ```sh block after {after!r}"
    commands: list[list[str]] = []
    for line in block.group(1).replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words:
            assert words[0] == "commission", line
            commands.append(words[1:])
    return commands


def test_commands_are_read_as_the_shell_would() -> None:
    text = 'Examples, in order:\n\n```sh\ncommission a --x "two words" \\\n    --y 1   # why\n\ncommission b\n```\n'
    assert example_commands(text) == [["a", "--x", "two words", "--y", "1"], ["b"]]


@pytest.mark.slow
def test_the_readme_examples_run_in_order_as_printed(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the examples name files under examples/, from the repository's root
    commands = example_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(commands) > 10
    for args in commands:
        done = cli.run(*args)
        shown = f"commission {shlex.join(args)}:\n{done.stdout}\n{done.stderr}"
        assert done.returncode == 0, shown
        assert "Traceback" not in done.stdout + done.stderr, shown
        assert "not met" not in done.stdout, shown  # every advance in the walk-through moves the project
