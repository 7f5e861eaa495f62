"""How a CLI command finds the Prefect API of a running ``commission serve``: ``<data dir>/serve.json``.

Serve writes the file atomically once its Prefect API answers, and removes it when it stops cleanly. A
command that runs a flow trusts it only if all three hold: the process named in it is alive, the API
it names is on the loopback interface, and that API answers a health check (connecting, then
answering, each within half a second).
Anything else (no file, a file left by a killed serve, a pid reused by another program, an API that
hangs) means "no serve", and the command starts Prefect's temporary server as before. So a stale
file can slow a command by at most the health check's timeout, never fail it.

Example file::

    {"pid": 4242, "prefect_api_url": "http://127.0.0.1:40123/api", "web_url": "http://127.0.0.1:8000",
     "started_at": "2026-12-06T08:30:00Z"}

This module imports nothing heavy (no Prefect, no httpx): it runs before Prefect is imported.
"""

import datetime as dt
import http.client
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

FILE_NAME = "serve.json"
HEALTH_TIMEOUT_SECONDS = 0.5
LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}


def discovery_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def write_discovery(data_dir: Path, *, prefect_api_url: str | None, web_url: str | None) -> Path:
    """Write serve.json for this process, atomically (a reader sees the old file or the new, never half)."""
    path = discovery_path(data_dir)
    record = {
        "pid": os.getpid(),
        "prefect_api_url": prefect_api_url,
        "web_url": web_url,
        "started_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    partial = path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(record) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path


def remove_discovery(data_dir: Path) -> None:
    """Remove serve.json if it is still this process's (a newer serve's file is left alone)."""
    path = discovery_path(data_dir)
    if (read_discovery(path) or {}).get("pid") == os.getpid():
        path.unlink(missing_ok=True)


def read_discovery(path: Path) -> dict[str, Any] | None:
    """The file's record, or None if it is missing or not what serve writes."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def serve_prefect_api(data_dir: Path) -> str | None:
    """The Prefect API URL of a live ``commission serve`` on this data dir, or None (see the module's docstring)."""
    record = read_discovery(discovery_path(data_dir))
    if record is None:
        return None
    pid, url = record.get("pid"), record.get("prefect_api_url")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0 or not isinstance(url, str):
        return None
    if not process_alive(pid) or not api_answers(url):
        return None
    return url


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    except OverflowError:
        return False
    return True


def api_answers(url: str, timeout: float = HEALTH_TIMEOUT_SECONDS) -> bool:
    """True if ``url`` is a loopback http URL whose ``/health`` answers 200 within ``timeout`` seconds.

    http.client, not urllib: urllib would send a loopback request through an HTTP proxy set in the environment.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS or port is None:
        return False
    connection = http.client.HTTPConnection(parts.hostname, port, timeout=timeout)
    try:
        connection.request("GET", parts.path.rstrip("/") + "/health")
        response = connection.getresponse()
        return response.status == 200 and response.read(64).strip() == b"true"
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
