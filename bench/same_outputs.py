"""The house-move check: on the demo portfolio, the commands a commissioner reads print the same bytes.

Run it once on the old code with ``--save DIR`` and once on the new with
``--compare DIR``; it builds the demo portfolio in a fresh data dir each time
and captures `commission demo`, `projects`, `show`, `due`, `contracts show
--json`, `reconcile --json` and `reminders list --json`, against a data dir at
the same path each time. The comparison is of bytes, with the real clock's
marks masked: the demo's "Done in 11.0 s", and when each history entry was
entered ("(entered 2026-12-06 10:14)", "recorded_at" in JSON).

    python bench/same_outputs.py --save /tmp/before
    python bench/same_outputs.py --compare /tmp/before
"""

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ELAPSED = re.compile(rb"Done in \d+\.\d s\.")
ENTERED = re.compile(rb"\(entered (\d{4}-\d\d-\d\d )?\d\d:\d\d\)")
RECORDED = re.compile(rb'"recorded_at": "[^"]*"')

COMMANDS: dict[str, list[str]] = {
    "demo": ["demo"],
    "projects": ["projects"],
    "show": ["show", "FAM-2026-01"],
    "due": ["due", "--as-of", "2026-11-01"],
    "contracts_show": ["contracts", "show", "FCF-2025-01", "--json"],
    "reconcile": ["reconcile", "--contract", "FCF-2025-01", "--json"],
    "reminders_list": ["reminders", "list", "--json"],
}


def capture(data_dir: Path) -> dict[str, bytes]:
    commission = Path(sys.executable).with_name("commission")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMMISSIONING_", "PREFECT_"))}
    env.update(COMMISSIONING_DATA_DIR=str(data_dir), COMMISSIONING_ACTOR="bench", COLUMNS="200", DO_NOT_TRACK="1")
    subprocess.run([str(commission), "init"], env=env, check=True, capture_output=True)
    out: dict[str, bytes] = {}
    for name, args in COMMANDS.items():
        done = subprocess.run([str(commission), *args], env=env, capture_output=True)
        out[name] = done.stdout + b"\n--- stderr ---\n" + done.stderr + f"\n--- exit {done.returncode} ---\n".encode()
    # The demo's second run says it is already built: also a user-visible output.
    done = subprocess.run([str(commission), "demo"], env=env, capture_output=True)
    out["demo_again"] = done.stdout + done.stderr
    return {name: masked(data) for name, data in out.items()}


def masked(data: bytes) -> bytes:
    """The output without the marks of the moment it was made (the real clock)."""
    data = ELAPSED.sub(b"Done in N s.", data)
    data = ENTERED.sub(b"(entered ...)", data)
    return RECORDED.sub(b'"recorded_at": "..."', data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", type=Path)
    group.add_argument("--compare", type=Path)
    args = parser.parse_args()
    data_dir = Path(tempfile.gettempdir()) / "commissioning-same-outputs"
    shutil.rmtree(data_dir, ignore_errors=True)
    try:
        out = capture(data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for name, data in out.items():
            (args.save / f"{name}.out").write_bytes(data)
        print(f"saved {len(out)} outputs to {args.save}")
        return 0
    differ = 0
    for name, data in out.items():
        before = (args.compare / f"{name}.out").read_bytes()
        if before != data:
            differ += 1
            print(f"DIFFERENT: {name}")
            diff = difflib.unified_diff(
                before.decode(errors="replace").splitlines(), data.decode(errors="replace").splitlines(), lineterm=""
            )
            print("\n".join(list(diff)[:40]))
        else:
            print(f"same: {name} ({len(data)} bytes)")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
