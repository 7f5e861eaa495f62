"""The daily reminder sweep over a portfolio of 100,000 contracts, then over twice that.

Targets (issue 4):
  - a sweep (planning, without delivery) over 100,000 contracts, about a million
    key dates, with about 1,000 reminders due: under 2 s;
  - when the portfolio doubles, under 30% more time: the cost follows what is
    due, not the size of the portfolio.

The portfolio is the seeded one of bench/contracts_portfolio.py. The second
100,000 are the same contracts twelve years later, so they add a million key
dates but nothing due this week: the doubling changes the size, not the work.
Each figure is the median of the daily sweeps over a week (one sweep a day,
as `serve` runs it at 07:00), timed in-process. The first sweep after each
import plans every new contract's current step once; it is reported, not
judged. The floor is the sweep's range query alone, run with the sqlite3
module on the same database.

    .venv/bin/python bench/reminders_sweep.py            # full: 100,000 then 200,000 contracts
    .venv/bin/python bench/reminders_sweep.py --smoke    # CI: 2,000 then 4,000, figures not judged
"""

import argparse
import csv
import datetime as dt
import importlib.util
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.common.settings import Settings

HERE = Path(__file__).resolve().parent
FIRST_DAY = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)
DAYS = 7
SHIFT_YEARS = 12


def portfolio_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("contracts_portfolio", HERE / "contracts_portfolio.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def later(source: Path, target: Path) -> None:
    """The same contracts, twelve years on, under new references."""
    with source.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["ref"] = "L" + row["ref"]
        for name in ("start", "break_on"):
            if row.get(name):
                day = dt.date.fromisoformat(row[name])
                row[name] = day.replace(year=day.year + SHIFT_YEARS, day=min(day.day, 28)).isoformat()
    with target.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def load(settings: "Settings", path: Path) -> int:
    from flows.contracts.files import read_rows
    from flows.contracts.importing import add_contracts

    result = add_contracts(settings, read_rows(path), as_of=dt.datetime(2026, 11, 1, tzinfo=dt.UTC), actor="bench")
    return len(result.added)


def daily_sweeps(settings: "Settings", first: dt.datetime) -> tuple[list[float], list[int]]:
    from flows.reminders.sweep import sweep

    times, planned = [], []
    for day in range(DAYS):
        start = time.perf_counter()
        report = sweep(settings, as_of=first + dt.timedelta(days=day))
        times.append(time.perf_counter() - start)
        planned.append(report.planned)
    return times, planned


def floor(db: Path, settings: "Settings", first: dt.datetime) -> float:
    """The sweep's candidate query alone (one range per lead time), for each day of the week, in sqlite3."""
    from flows.reminders.policy import reminder_policy
    from policies.reminders.planning import due_on_ranges

    policy = reminder_policy(settings)
    times = []
    with sqlite3.connect(db) as connection:
        for day in range(DAYS):
            today = (first + dt.timedelta(days=day)).date()
            start = time.perf_counter()
            for low, high, kinds in due_on_ranges(policy, after=today - dt.timedelta(days=1), through=today):
                marks = ", ".join("?" * len(kinds))
                connection.execute(
                    "SELECT k.contract_id, k.key, k.kind, k.due_on, c.nation FROM contract_key_date k "
                    f"JOIN contract c ON c.id = k.contract_id WHERE k.due_on BETWEEN ? AND ? AND k.kind IN ({marks})",
                    (low.isoformat(), high.isoformat(), *kinds),
                ).fetchall()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="2,000 then 4,000 contracts (for CI)")
    parser.add_argument("--contracts", type=int, default=100_000)
    args = parser.parse_args()
    count = 2_000 if args.smoke else args.contracts
    portfolio = portfolio_module()

    with tempfile.TemporaryDirectory(prefix="commissioning-bench-") as tmp:
        data = Path(tmp) / "data"
        for name in [k for k in os.environ if k.startswith("COMMISSIONING_")]:
            del os.environ[name]
        os.environ["COMMISSIONING_DATA_DIR"] = str(data)
        from flows.common.runtime import engine
        from flows.common.settings import load_settings
        from models.migrate import upgrade

        settings = load_settings()
        data.mkdir(parents=True)
        upgrade(engine(settings, create=True))
        portfolio.create_projects(settings)
        first_csv, second_csv = Path(tmp) / "portfolio.csv", Path(tmp) / "later.csv"
        portfolio.write_portfolio(first_csv, count)
        later(first_csv, second_csv)
        db = data / "commissioning.db"

        def key_dates() -> int:
            with sqlite3.connect(db) as connection:
                return int(connection.execute("SELECT COUNT(*) FROM contract_key_date").fetchone()[0])

        from flows.reminders.sweep import sweep

        print(f"loading {count:,} contracts ...", flush=True)
        load(settings, first_csv)
        start = time.perf_counter()
        initial = sweep(settings, as_of=FIRST_DAY - dt.timedelta(days=1))
        print(
            f"  {key_dates():,} key dates; first sweep after the import: {time.perf_counter() - start:.2f} s, "
            f"{initial.planned:,} reminders planned for {initial.replanned_contracts:,} new contracts",
            flush=True,
        )
        base_times, base_planned = daily_sweeps(settings, FIRST_DAY)
        base = statistics.median(base_times)
        base_floor = floor(db, settings, FIRST_DAY)

        print(f"loading {count:,} more, twelve years later ...", flush=True)
        load(settings, second_csv)
        start = time.perf_counter()
        second = sweep(settings, as_of=FIRST_DAY + dt.timedelta(days=DAYS - 1))
        print(
            f"  {key_dates():,} key dates; first sweep after the import: {time.perf_counter() - start:.2f} s, "
            f"{second.planned:,} reminders planned for {second.replanned_contracts:,} new contracts",
            flush=True,
        )
        after = FIRST_DAY + dt.timedelta(days=DAYS)
        double_times, double_planned = daily_sweeps(settings, after)
        double = statistics.median(double_times)
        double_floor = floor(db, settings, after)

    print(
        f"daily sweep, {count:,} contracts: median {base:.3f} s over {DAYS} days "
        f"(min {min(base_times):.3f}, max {max(base_times):.3f}); "
        f"reminders planned a day: median {statistics.median(base_planned):,.0f} "
        f"(min {min(base_planned):,}, max {max(base_planned):,}); "
        f"floor (range query alone) {base_floor:.3f} s; target < 2 s"
    )
    print(
        f"daily sweep, {2 * count:,} contracts: median {double:.3f} s "
        f"(min {min(double_times):.3f}, max {max(double_times):.3f}); "
        f"reminders planned a day: median {statistics.median(double_planned):,.0f}; floor {double_floor:.3f} s"
    )
    print(
        f"doubling the portfolio: {double / base:.2f}x the time ({(double / base - 1) * 100:+.0f}%); "
        f"target under +30%" + ("; smoke size, figures not judged" if args.smoke else "")
    )


if __name__ == "__main__":
    sys.exit(main())
