"""Importing a big contracts CSV: time and peak memory of the import, then `show` of a project.

Targets (defects issue, item 15):
  - `commission contracts import` of 500,000 contracts (about 60 MB of CSV) in under 5 minutes,
    in under 1 GB of memory (the child process's peak resident size);
  - `commission show P-0000` afterwards (2,500 linked contracts and their history) in under 1 s; the floor
    beside it is `commission --help`, the same program starting and reading nothing.

Each command runs as a user would run it, in a fresh process, on the embedded SQLite default, with
the portfolio of bench/contracts_portfolio.py (200 projects, a seeded realistic mix of terms).

    .venv/bin/python bench/contracts_import.py             # full: 500,000 contracts
    .venv/bin/python bench/contracts_import.py --smoke     # CI: 2,000 contracts, figures not judged
"""

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from contracts_portfolio import COMMISSION, PROJECTS, create_projects, run, write_portfolio

# Runs one command as its only child and prints that child's peak resident size (KB on Linux), so the
# figure is the command's own and not that of an earlier child of this script (init, say).
MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(done.stderr)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(done.returncode)
"""


def measured(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds and the peak resident memory (MB) of one command in a fresh child process."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, COMMISSION, *args], env=env, capture_output=True, text=True, timeout=7200
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"commission {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return elapsed, int(done.stdout.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="2,000 contracts (for CI)")
    parser.add_argument("--contracts", type=int, default=500_000)
    args = parser.parse_args()
    count = 2_000 if args.smoke else args.contracts
    with tempfile.TemporaryDirectory(prefix="commissioning-bench-") as tmp:
        data = Path(tmp) / "data"
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMMISSIONING_")}
        env.update({"COMMISSIONING_DATA_DIR": str(data), "COLUMNS": "160"})
        run(["init"], env)
        from flows.common.settings import load_settings

        os.environ.update({"COMMISSIONING_DATA_DIR": str(data)})
        os.environ.pop("COMMISSIONING_DATABASE_URL", None)
        create_projects(load_settings())
        portfolio = Path(tmp) / "portfolio.csv"
        write_portfolio(portfolio, count)
        size = portfolio.stat().st_size / 1e6
        seconds, peak = measured(["contracts", "import", str(portfolio), "--as-of", "2026-11-23"], env)
        print(
            f"contracts import of {count:,} ({size:.0f} MB): {seconds:8.1f} s   target < 300 s   "
            f"peak memory {peak:7.0f} MB   target < 1024 MB",
            flush=True,
        )
        runs = 3 if args.smoke else 5
        show = statistics.median(run(["show", "P-0000"], env) for _ in range(runs))
        # The floor: a command that starts the same program and reads nothing (its imports and start-up).
        floor = statistics.median(run(["--help"], env) for _ in range(runs))
        print(
            f"show P-0000 ({count // PROJECTS:,} linked contracts), median of {runs}: {show:7.2f} s   target < 1 s   "
            f"(floor, commission --help: {floor:.2f} s)"
        )
    if args.smoke:
        print("(smoke run: figures are not judged)")
    print(f"(measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)")


if __name__ == "__main__":
    main()
