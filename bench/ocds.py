"""Open contracting data: importing award releases in Contracts Finder's shape, and exporting a portfolio.

Targets (issue 18):
  - `commission ocds import` of 100,000 synthetic award releases (Contracts Finder's shape: a buyer and
    suppliers with `sme`, `vco` and `x_awardValue`, tender items, an award with a value and a contract period;
    files of 1,000 releases) in under 90 s. Beside it, the ratio to `commission contracts import` of the same
    100,000 contracts as CSV (into 200 existing projects), run in the same benchmark on the same machine;
  - `commission ocds export --all` of the 100,000-contract portfolio (the CSV one: options, breaks, reviews,
    ~25 key dates a contract, every one a milestone), each release validated against OCDS 1.1.5, in under
    120 s and 1 GB (the child process's peak resident size), written as it goes. The command reports the
    time of validation alone; the floor beside it is reading the written file back with Python's json.

Each command runs as a user would run it, in a fresh process, on the embedded SQLite default. One run per
figure at full size (each takes a minute or more); `--runs N` takes the median of N fresh runs.

    .venv/bin/python bench/ocds.py             # full: 100,000 releases and contracts
    .venv/bin/python bench/ocds.py --smoke     # CI: 1,000, figures not judged
"""

import argparse
import csv
import datetime as dt
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from contracts_portfolio import COMMISSION, PROJECTS, create_projects, run, write_portfolio

from flows.ocds.jsontext import dumps

PER_FILE = 1_000

# Runs one command as its only child, passes on its output (stdout to stderr), and prints the child's peak
# resident size (KB on Linux), so the figure is the command's own.
MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(done.stdout + done.stderr)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(done.returncode)
"""


def measured(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Seconds, the peak resident memory (MB) and the output of one command in a fresh child process."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, COMMISSION, *args], env=env, capture_output=True, text=True, timeout=7200
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"commission {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return elapsed, int(done.stdout.split()[-1]) / 1024, done.stderr


def term_end(start: dt.date, months: int) -> dt.date:
    """The last day of a term of ``months`` from the first of a month."""
    year, month = divmod(start.month - 1 + months, 12)
    return dt.date(start.year + year, month + 1, 1) - dt.timedelta(days=1)


def write_releases(folder: Path, csv_path: Path, count: int) -> None:
    """``count`` award releases in Contracts Finder's shape, and the same contracts as a contracts CSV."""
    rnd = random.Random(20261206)
    folder.mkdir()
    with csv_path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["ref", "title", "provider", "project", "value", "start", "end"])
        for first in range(0, count, PER_FILE):
            releases = []
            for i in range(first, min(first + PER_FILE, count)):
                start = dt.date(2020 + rnd.randrange(0, 7), rnd.randrange(1, 13), 1)
                end = term_end(start, rnd.choice([12, 24, 36, 48, 60]))
                pence = rnd.randrange(10_000_00, 4_900_000_00)
                value = Decimal(pence) / 100
                supplier = f"Provider {i % 997} Ltd"
                award_id = f"{i:08x}-0000-4000-8000-{rnd.getrandbits(48):012x}"
                period = {"startDate": f"{start}T00:00:00Z", "endDate": f"{end}T00:00:00Z"}
                releases.append(
                    {
                        "ocid": f"ocds-b5fd17bench-{i:08d}",
                        "id": f"ocds-b5fd17-bench-{i:08d}-award",
                        "date": f"{start - dt.timedelta(days=30)}T00:00:00Z",
                        "tag": ["tender"],
                        "initiationType": "tender",
                        "parties": [
                            {
                                "id": "b1",
                                "roles": ["buyer"],
                                "name": f"Council {i % 300}",
                                "contactPoint": {"name": "Buyer", "email": "buyer@example.org"},
                            },
                            {
                                "id": "1",
                                "roles": ["supplier", "tenderer"],
                                "name": supplier,
                                "sme": True,
                                "vco": False,
                                "x_awardValue": {"currency": "GBP", "amount": None},
                            },
                        ],
                        "tender": {
                            "id": f"ocds-b5fd17-bench-{i:08d}-{rnd.getrandbits(32):08x}/tender",
                            "title": f"Service {i}",
                            "description": "Support services, as published on Contracts Finder.",
                            "status": "complete",
                            "items": [{"id": 1, "classification": {"scheme": "CPV", "id": "85000000"}}],
                            "value": {"amount": value, "currency": "GBP"},
                            "contractPeriod": period,
                        },
                        "buyer": {"id": "b1", "name": f"Council {i % 300}"},
                        "awards": [
                            {
                                "id": award_id,
                                "status": "active",
                                "date": f"{start - dt.timedelta(days=20)}T00:00:00Z",
                                "value": {"amount": value, "currency": "GBP"},
                                "suppliers": [{"id": "1", "name": supplier}],
                                "contractPeriod": period,
                            }
                        ],
                    }
                )
                writer.writerow(
                    [
                        award_id.upper(),
                        f"Service {i}",
                        supplier,
                        f"P-{i % PROJECTS:04d}",
                        str(value),
                        start.isoformat(),
                        end.isoformat(),
                    ]
                )
            package = {
                "uri": f"https://example.org/bench/{first}.json",
                "version": "1.1",
                "publishedDate": "2026-12-01T00:00:00Z",
                "publisher": {"name": "bench"},
                "releases": releases,
            }
            (folder / f"releases-{first:08d}.json").write_text(dumps(package))  # amounts as exact JSON numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="1,000 releases and contracts (for CI)")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    count = 1_000 if args.smoke else args.count
    with tempfile.TemporaryDirectory(prefix="commissioning-bench-") as tmp:
        base = {k: v for k, v in os.environ.items() if not k.startswith("COMMISSIONING_")} | {"COLUMNS": "160"}
        releases, as_csv = Path(tmp) / "releases", Path(tmp) / "contracts.csv"
        write_releases(releases, as_csv, count)
        size = sum(p.stat().st_size for p in releases.iterdir()) / 1e6
        ocds_runs, csv_runs, peaks = [], [], []
        for n in range(args.runs):
            ocds_env = base | {"COMMISSIONING_DATA_DIR": str(Path(tmp) / f"ocds-{n}")}
            run(["init"], ocds_env)
            seconds, peak, _ = measured(["ocds", "import", str(releases), "--as-of", "2026-12-01"], ocds_env)
            ocds_runs.append(seconds)
            peaks.append(peak)
            csv_env = base | {"COMMISSIONING_DATA_DIR": str(Path(tmp) / f"csv-{n}")}
            run(["init"], csv_env)
            os.environ.update({"COMMISSIONING_DATA_DIR": csv_env["COMMISSIONING_DATA_DIR"]})
            os.environ.pop("COMMISSIONING_DATABASE_URL", None)
            from flows.common.settings import load_settings

            create_projects(load_settings())
            csv_runs.append(measured(["contracts", "import", str(as_csv), "--as-of", "2026-12-01"], csv_env)[0])
        ocds_s, csv_s = statistics.median(ocds_runs), statistics.median(csv_runs)
        print(
            f"ocds import of {count:,} award releases ({size:.0f} MB in {len(list(releases.iterdir()))} files), "
            f"median of {args.runs}: {ocds_s:7.1f} s   target < 90 s   peak memory {max(peaks):6.0f} MB\n"
            f"  floor, contracts import of the same {count:,} contracts as CSV: {csv_s:7.1f} s   "
            f"ratio {ocds_s / csv_s:5.2f}x",
            flush=True,
        )

        portfolio_env = base | {"COMMISSIONING_DATA_DIR": str(Path(tmp) / "portfolio")}
        run(["init"], portfolio_env)
        os.environ.update({"COMMISSIONING_DATA_DIR": portfolio_env["COMMISSIONING_DATA_DIR"]})
        create_projects(load_settings())
        portfolio = Path(tmp) / "portfolio.csv"
        write_portfolio(portfolio, count)
        run(["contracts", "import", str(portfolio), "--as-of", "2026-11-23"], portfolio_env)
        out = Path(tmp) / "export.json"
        export_runs, export_peaks, validation = [], [], []
        for _ in range(args.runs):
            seconds, peak, said = measured(
                ["ocds", "export", "--all", "-o", str(out), "--as-of", "2026-12-01"], portfolio_env
            )
            export_runs.append(seconds)
            export_peaks.append(peak)
            found = re.search(r"validation ([\d.]+) s", said)
            validation.append(float(found.group(1)) if found else float("nan"))
        started = time.perf_counter()
        with out.open("rb") as f:
            json.load(f, parse_float=Decimal)
        floor = time.perf_counter() - started
        print(
            f"ocds export --all of {count:,} contracts ({out.stat().st_size / 1e6:.0f} MB), median of {args.runs}: "
            f"{statistics.median(export_runs):7.1f} s   target < 120 s   peak memory {max(export_peaks):6.0f} MB   "
            f"target < 1024 MB\n"
            f"  validation alone: {statistics.median(validation):7.1f} s   floor, json.load of the file: "
            f"{floor:5.1f} s   ratio {statistics.median(export_runs) / floor:5.1f}x"
        )
    if args.smoke:
        print("(smoke run: figures are not judged)")
    print(f"(measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)")


if __name__ == "__main__":
    main()
