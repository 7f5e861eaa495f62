"""A portfolio of 100,000 contracts: import and derive key dates, then ask what is due.

Targets (issue 3):
  - load 100,000 contracts and compute their key dates in under 60 s on 2 cores
    (`commission contracts import` of one CSV file: checking, deriving, storing);
  - `commission due --within 90d` over that portfolio in under 1 s.

Each command runs as a user would run it, in a fresh process, on the embedded
SQLite default. The portfolio is a seeded, realistic mix: 1-7 year initial
terms with up to two extension options, a third with a fixed break, half with
quarterly monitoring, starts spread over 2020-2027. The floor for `due` is the
same range query run directly on the database with the sqlite3 module.

    .venv/bin/python bench/contracts_portfolio.py             # full: 100,000 contracts
    .venv/bin/python bench/contracts_portfolio.py --smoke     # CI: 2,000 contracts, figures not judged
    .venv/bin/python bench/contracts_portfolio.py --keep DIR  # build the portfolio in DIR once; later runs
                                                              # time due on it again (not the import)
"""

import argparse
import contextlib
import csv
import datetime as dt
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
COMMISSION = str(BIN / "commission")
PROJECTS = 200


def run(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([COMMISSION, *args], env=env, capture_output=True, text=True, timeout=1800)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"commission {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return elapsed


def create_projects(settings: Any) -> None:
    """The projects the portfolio's contracts belong to."""
    from flows.cycle.projects import create_project

    for p in range(PROJECTS):
        create_project(
            settings,
            ref=f"P-{p:04d}",
            title=f"Project {p}",
            service_area="Various",
            owner="Bench",
            description="",
            stage="do",
            as_of=dt.datetime(2019, 1, 1, tzinfo=dt.UTC),
            actor="bench",
        )


def write_portfolio(path: Path, count: int) -> None:
    rnd = random.Random(20261123)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "ref",
                "title",
                "provider",
                "project",
                "value",
                "start",
                "term",
                "extension_notice",
                "break_on",
                "break_notice",
                "nation",
                "quarterly_monitoring",
                "kpis",
            ]
        )
        for i in range(count):
            start = dt.date(2020, 1, 1) + dt.timedelta(days=rnd.randrange(0, 8 * 365))
            initial = rnd.choice([1, 2, 3, 3, 4, 5, 7])
            options = rnd.choice([[], [1], [1, 1], [2], [2, 1]])
            value = rnd.randrange(20_000_00, 4_900_000_00)
            breaks = i % 3 == 0 and initial >= 2
            writer.writerow(
                [
                    f"C-{i:06d}",
                    f"Service {i}",
                    f"Provider {i % 997}",
                    f"P-{i % PROJECTS:04d}",
                    f"{value // 100}.{value % 100:02d}",
                    start.isoformat(),
                    "+".join(map(str, [initial, *options])),
                    rnd.choice(["3 months", "12 weeks", "6 months"]),
                    (start + dt.timedelta(days=365 * initial // 2)).isoformat() if breaks else "",
                    "3 months" if breaks else "",
                    rnd.choice(["england_and_wales", "scotland", "northern_ireland"]),
                    "yes" if i % 2 else "no",
                    "Outcomes met; Satisfaction",
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="2,000 contracts, 3 runs of due (for CI)")
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="build the portfolio in DIR and keep it; if DIR already holds one, skip the import and time due on it",
    )
    args = parser.parse_args()
    count = 2_000 if args.smoke else args.contracts
    runs = 3 if args.smoke else 7
    as_of = "2026-11-23"

    with contextlib.ExitStack() as stack:
        if args.keep is not None:
            tmp = str(args.keep.resolve())
            os.makedirs(tmp, exist_ok=True)
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="commissioning-bench-"))
        data = Path(tmp) / "data"
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMMISSIONING_")}
        env.update({"COMMISSIONING_DATA_DIR": str(data), "COLUMNS": "160"})
        built = Path(tmp) / "built"  # written once the portfolio is imported: its number of contracts
        if built.exists():
            kept = int(built.read_text())
            if kept != count:
                sys.exit(f"{tmp} holds a portfolio of {kept:,} contracts, not {count:,}; keep this one elsewhere")
            print(f"reusing the portfolio of {kept:,} contracts in {tmp} (its import is not timed again)", flush=True)
            run(["init"], env)  # migrates it, if the schema has moved on since
        else:
            run(["init"], env)
            from flows.common.settings import load_settings

            os.environ.update({"COMMISSIONING_DATA_DIR": str(data)})
            os.environ.pop("COMMISSIONING_DATABASE_URL", None)
            create_projects(load_settings())
            portfolio = Path(tmp) / "portfolio.csv"
            write_portfolio(portfolio, count)

            load = run(["contracts", "import", str(portfolio), "--as-of", as_of], env)
            print(
                f"contracts import of {count:,} (check, derive key dates, store): {load:7.2f} s   target < 60 s   "
                f"({1e6 * load / count:.0f} us per contract)",
                flush=True,
            )
            built.write_text(f"{count}\n")
        with sqlite3.connect(data / "commissioning.db") as conn:
            contracts = conn.execute("SELECT count(*) FROM contract").fetchone()[0]
            key_dates = conn.execute("SELECT count(*) FROM contract_key_date").fetchone()[0]
            # The floor: the very query `due` runs (models/contract_queries.py), straight through sqlite3.
            from models.contract_queries import sqlite_due_rows

            window = {
                "today": dt.date(2026, 11, 23),
                "last": dt.date(2027, 2, 21),
                "missed_since": dt.date(2026, 8, 25),
            }
            floor_times = []
            for _ in range(runs):
                start = time.perf_counter()
                found = len(sqlite_due_rows(conn, **window))
                floor_times.append(time.perf_counter() - start)
        due_args = ["due", "--within", "90d", "--as-of", as_of]
        due_json = statistics.median(run([*due_args, "--json"], env) for _ in range(runs))
        due_list = statistics.median(run(due_args, env) for _ in range(runs))

    floor = statistics.median(floor_times)
    print(f"portfolio: {contracts:,} contracts, {key_dates:,} key dates stored")
    print(f"due --within 90d --json, median of {runs}: {due_json:7.3f} s   target < 1 s   ({found:,} rows)")
    print(f"due --within 90d (listing), median of {runs}: {due_list:7.3f} s   target < 1 s")
    print(
        f"floor: the same SQL run directly in sqlite3, median: {floor:7.3f} s   "
        f"(due --json is {due_json / floor:.1f}x the floor)"
    )
    if args.smoke:
        print("(smoke run: figures are not judged)")


if __name__ == "__main__":
    main()
