"""serve.json, the file through which flow commands find serve's Prefect API: what is trusted, what is not.

The positive path (a live serve whose API answers) is tested end to end in tests/e2e/test_serve.py; here, every
way the file can be wrong must read as "no serve", never as an error.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.serve.discovery import discovery_path, remove_discovery, serve_prefect_api, write_discovery


def dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(child.stdout)


def test_serve_writes_its_file_whole_and_removes_only_its_own(tmp_path: Path) -> None:
    path = write_discovery(tmp_path, prefect_api_url="http://127.0.0.1:4321/api", web_url=None)
    record = json.loads(path.read_text())
    assert record["pid"] == os.getpid() and record["prefect_api_url"] == "http://127.0.0.1:4321/api"
    assert [p.name for p in tmp_path.iterdir()] == ["serve.json"], "no temporary file is left beside it"
    remove_discovery(tmp_path)
    assert not path.exists()

    newer = {"pid": os.getpid() + 1, "prefect_api_url": "http://127.0.0.1:4321/api"}
    path.write_text(json.dumps(newer))
    remove_discovery(tmp_path)  # another serve's file (one that started after us) is left alone
    assert json.loads(path.read_text()) == newer


@pytest.mark.parametrize(
    "content",
    [
        None,  # no file
        "",
        "{not json",
        "[1, 2]",
        json.dumps({"pid": "1", "prefect_api_url": "http://127.0.0.1:9/api"}),
        json.dumps({"pid": True, "prefect_api_url": "http://127.0.0.1:9/api"}),
        json.dumps({"pid": "ME", "prefect_api_url": None}),
        json.dumps({"pid": "DEAD", "prefect_api_url": "http://127.0.0.1:9/api"}),
        json.dumps({"pid": "ME", "prefect_api_url": "http://127.0.0.1:9/api"}),  # alive, nothing listening
        json.dumps({"pid": "ME", "prefect_api_url": "http://prefect.council.example:4200/api"}),  # not loopback
        json.dumps({"pid": "ME", "prefect_api_url": "https://127.0.0.1:9/api"}),
        json.dumps({"pid": "ME", "prefect_api_url": "http://127.0.0.1:notaport/api"}),
        json.dumps({"pid": 2**70, "prefect_api_url": "http://127.0.0.1:9/api"}),
    ],
)
def test_a_missing_odd_or_stale_file_means_no_serve(tmp_path: Path, content: str | None) -> None:
    if content is not None:
        content = content.replace('"ME"', str(os.getpid())).replace('"DEAD"', str(dead_pid()))
        discovery_path(tmp_path).write_text(content)
    assert serve_prefect_api(tmp_path) is None
