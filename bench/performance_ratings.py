"""Rating a portfolio's KPIs: import 100,000 contracts x 3 KPIs x 8 quarters of readings, each rated as it is
stored, then the portfolio of latest ratings, worst first.

Targets (issue 17): `commission kpis import` of the 2,400,000 readings, checking and rating every one,
in under 60 s and under 1 GB of memory (the command's peak resident size). It is reported beside a floor
measured in the same run, on a fresh copy of the same database: a plain bulk insert of the same rows
(`csv.reader`, a dict from (contract, KPI) to the KPI's id, and `sqlite3` `executemany` in one
transaction), which checks and rates nothing.

The contracts and KPIs are seeded straight into a migrated SQLite database (their import is
bench/contracts_import.py's business); each timed run starts from a copy of it, in a fresh process, on the
embedded SQLite default, as a user would run the command.

    .venv/bin/python bench/performance_ratings.py             # full: 100,000 contracts, 2.4 million readings
    .venv/bin/python bench/performance_ratings.py --smoke     # CI: 1,000 contracts, 24,000 readings, not judged
"""

import argparse
import csv
import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from contracts_portfolio import COMMISSION

QUARTERS = ["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
START = "2024-07-01"
KPIS = (  # name, unit, target, direction, band edges, and how readings spread around the target
    ("Tenancies sustained", "percentage", "85", "higher", ("80", "70"), (60, 100)),
    ("Days to first appointment", "days", "10", "lower", ("12", "15"), (4, 20)),
    ("Cost per person", "money", "12000", "lower", ("13200", "15000"), (9000, 16000)),
)
MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(done.stderr)
sys.stdout.write(done.stdout)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
sys.exit(done.returncode)
"""


def seed(db: Path, contracts: int) -> None:
    """One project, ``contracts`` contracts from 1 July 2024 for 3 years, each with the 3 KPIs."""
    from models.db import make_engine
    from models.migrate import upgrade

    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    engine.dispose()
    now = "2024-06-01 09:00:00.000000"  # when the contracts were added: before the readings' as-of
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO project (ref, title, service_area, owner, description, stage, cycle, stage_entered_at, "
            "created_at) VALUES ('P-BENCH', 'Bench', 'a', 'o', '', 'review', 1, ?, ?)",
            (now, now),
        )
        columns = {row[1]: row for row in conn.execute("PRAGMA table_info(contract)")}
        values: dict[str, Any] = {
            "title": "Housing First", "provider": "Provider", "project_id": 1, "value_pence": 600_000_000,
            "currency": "GBP", "start": START, "initial_term_months": 36, "extensions": "[]", "extensions_used": 0,
            "breaks": "[]", "reviews": json.dumps({"quarterly": True, "annual": True, "mid_term": True,
                                                   "pre_expiry_months": 6}),
            "kpis": json.dumps([k[0] for k in KPIS]), "nation": "england_and_wales", "payment_model": "block",
            "status": "active", "ends_on": "2027-06-30", "recommissioning_lead_months": 18, "created_at": now,
        }  # fmt: skip
        names = [n for n in columns if n not in ("id", "ref") and (n in values or columns[n][3])]
        sql = f"INSERT INTO contract (ref, {', '.join(names)}) VALUES (?, {', '.join('?' * len(names))})"
        conn.executemany(sql, ((f"C-{i:06d}", *(values[n] for n in names)) for i in range(contracts)))
        definitions = []
        for name, unit, target, direction, (a, r), _ in KPIS:
            bands = {"approaching": a, "requires_improvement": r}
            definitions.append((name, json.dumps({"name": name, "measure": name, "unit": unit, "target": target,
                                                  "direction": direction, "frequency": "quarterly", "bands": bands,
                                                  "own_bands": True})))  # fmt: skip
        conn.executemany(
            "INSERT INTO kpi (contract_id, name, definition, created_at) VALUES (?, ?, ?, ?)",
            ((c, name, d, now) for c in range(1, contracts + 1) for name, d in definitions),
        )
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # into the file itself: the copies take only the file


def write_readings(path: Path, contracts: int) -> int:
    """Every contract's 3 KPIs for 8 quarters, values seeded to fall in every band."""
    rng = random.Random(17)
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["contract", "kpi", "period", "value"])
        for i in range(contracts):
            ref = f"C-{i:06d}"
            for name, unit, *_, (low, high) in KPIS:
                for quarter in QUARTERS:
                    value = rng.randint(low * 10, high * 10) / 10 if unit == "percentage" else rng.randint(low, high)
                    out.writerow([ref, name, quarter, value])
    return contracts * len(KPIS) * len(QUARTERS)


def floor(db: Path, readings: Path) -> None:
    """The plain bulk insert of the same rows: no check, no rating (run in a child of its own)."""
    from policies.performance.periods import parse_period

    conn = sqlite3.connect(db, isolation_level=None)
    ids = {(ref, name): i for i, ref, name in conn.execute(
        "SELECT k.id, c.ref, k.name FROM kpi k JOIN contract c ON c.id = k.contract_id")}  # fmt: skip
    periods: dict[str, Any] = {}
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def rows() -> Any:
        with readings.open(encoding="utf-8", newline="") as f:
            lines = csv.reader(f)
            next(lines)
            for ref, name, label, value in lines:
                p = periods.get(label) or periods.setdefault(label, parse_period(label)[0])
                yield ids[(ref, name)], p.label, p.start.isoformat(), p.end.isoformat(), value, "good", now

    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO kpi_reading (kpi_id, period, period_start, period_end, value, rating, recorded_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows(),
    )
    conn.execute("COMMIT")
    conn.close()


def measured(args: list[str], env: dict[str, str]) -> tuple[float, float, str, float]:
    """Seconds, peak resident memory (MB), output and CPU seconds of one command in a fresh child process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURE, *args], env=env, capture_output=True, text=True,
                          timeout=3600)  # fmt: skip
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    *output, last = done.stdout.strip().splitlines()
    cpu, peak = last.split()
    return elapsed, int(peak) / 1024, "\n".join(output), float(cpu)


def restore(template: Path, db: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="1,000 contracts (for CI)")
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="fresh-process runs of the import and the floor")
    parser.add_argument("--floor", nargs=2, type=Path, help=argparse.SUPPRESS)  # the floor's own child
    args = parser.parse_args()
    if args.floor:
        floor(*args.floor)
        return
    contracts = 1_000 if args.smoke else args.contracts
    repeat = 1 if args.smoke else args.repeat
    with tempfile.TemporaryDirectory(prefix="commissioning-bench-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        db, template = data / "commissioning.db", Path(tmp) / "template.db"
        seed(template, contracts)
        readings = Path(tmp) / "readings.csv"
        count = write_readings(readings, contracts)
        size = readings.stat().st_size / 1e6
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMMISSIONING_")}
        env.update({"COMMISSIONING_DATA_DIR": str(data), "COLUMNS": "160"})
        imports, floors, peaks, floor_peaks, cpus, floor_cpus = [], [], [], [], [], []
        output = ""
        for _ in range(repeat):
            restore(template, db)
            seconds, peak, output, cpu = measured(
                [COMMISSION, "kpis", "import", str(readings), "--as-of", "2026-11-23"], env
            )
            imports.append(seconds)
            peaks.append(peak)
            cpus.append(cpu)
            restore(template, db)
            f_seconds, f_peak, _, f_cpu = measured([sys.executable, __file__, "--floor", str(db), str(readings)], env)
            floors.append(f_seconds)
            floor_peaks.append(f_peak)
            floor_cpus.append(f_cpu)
            print(
                f"  import {seconds:6.1f} s (CPU {cpu:5.1f} s), peak {peak:5.0f} MB; "
                f"floor {f_seconds:6.1f} s (CPU {f_cpu:5.1f} s), peak {f_peak:5.0f} MB",
                flush=True,
            )
        print(output.splitlines()[0] if output else "")
        restore(template, db)
        measured([COMMISSION, "kpis", "import", str(readings), "--as-of", "2026-11-23"], env)
        portfolio, p_peak, _, _ = measured([COMMISSION, "performance", "--json"], env)
        median, floor_median = statistics.median(imports), statistics.median(floors)
        label = " (smoke: not judged)" if args.smoke else ""
        print(
            f"kpis import of {count:,} readings ({contracts:,} contracts x 3 KPIs x 8 quarters, {size:.0f} MB), "
            f"median of {repeat}{label}:\n"
            f"  import and rate {median:7.1f} s   target < 60 s     "
            f"peak memory {max(peaks):5.0f} MB   target < 1024 MB\n"
            f"  plain bulk insert (floor) {floor_median:5.1f} s   ratio {median / floor_median:4.1f}x   "
            f"peak {max(floor_peaks):5.0f} MB\n"
            f"  CPU time (moved less by the machine's other load): import {statistics.median(cpus):.1f} s, "
            f"floor {statistics.median(floor_cpus):.1f} s\n"
            f"  then `commission performance --json` (every contract's latest ratings, worst first): "
            f"{portfolio:.1f} s, peak {p_peak:.0f} MB (no target)",
            flush=True,
        )


if __name__ == "__main__":
    main()
