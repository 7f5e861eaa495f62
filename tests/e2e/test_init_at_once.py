"""Two `commission init` started together on the same new SQLite database: one creates it, the other finds it."""

import subprocess

from tests.e2e.conftest import COMMISSION, Cli


def test_two_inits_at_once_on_a_new_database_say_created_once(cli: Cli) -> None:
    both = [
        subprocess.Popen(
            [COMMISSION, "init"], env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            stdin=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]  # fmt: skip
    said = []
    for process in both:
        out, err = process.communicate(timeout=180)  # bounded: a hung init fails the test, never the run
        assert process.returncode == 0, out + err
        assert "Traceback" not in out + err
        said.append(out)
    created = [out for out in said if "(created)" in out]
    assert len(created) == 1, said
    (other,) = [out for out in said if out not in created]
    assert "(already current)" in other, said
