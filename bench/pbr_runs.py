"""Payment by results after a big claims import: every quarter's payment run, then reconciliation.

Issue 5 sets no target for these; they are measured because a run reads
what every earlier run wrote, so a run that reads the whole ledger grows
slower and bigger with each quarter. Printed for each run, in a fresh
process: the claims it paid, its wall time and its peak resident set; then
the same for `reconcile`. For reference: the median run's time per claim
paid, and the first and last runs side by side (a run should not grow with
the ledger behind it).

Setup: the database and claims file of bench/pbr_claims.py (1,000,000 claims
for 250,000 participants on the FCF-2025-01 card; built if missing), the
claims imported once (timed, not judged), then the runs from 2021-Q4, the
first quarter of the referral window, to the last quarter with claims
(2024-Q2), each as of the day after the last quarter ends: the timeline of
bench/pbr_claims.py, four years in the past, since no run may be dated
after now.

    .venv/bin/python bench/pbr_runs.py              # full: 1,000,000 claims, 250,000 participants
    .venv/bin/python bench/pbr_runs.py --smoke      # CI: 20,000 claims, 5,000 participants, not judged
    .venv/bin/python bench/pbr_runs.py --keep DIR   # reuse (or build) bench/pbr_claims.py's files in DIR
"""

import argparse
import contextlib
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import pbr_claims  # noqa: E402  (the same database, files and build)

# The day after the last quarter with claims ends (2028-07-01, moved back as pbr_claims moves the timeline).
AS_OF = pbr_claims.CLAIMS_AS_OF + dt.timedelta(days=1)
RESULT = "result.json"


def child(step: str, data: Path, argument: str) -> dict[str, Any]:
    from flows.common.settings import load_settings

    settings = load_settings()
    start = time.perf_counter()
    if step == "import":
        from flows.pbr.claims_import import import_claims

        report = import_claims(settings, Path(argument), as_of=pbr_claims.CLAIMS_AS_OF, actor="bench")
        what: dict[str, Any] = {"added": report.added}
    elif step == "pay":
        from tests.support.approvals import approved_run  # proposed by one finance user, approved by another

        run = approved_run(settings, pbr_claims.CONTRACT, argument, as_of=AS_OF, actor="bench")
        what = {"claims": run.summary["claims"], "paid": run.summary["paid"]}
    else:
        from flows.pbr.reconcile import reconcile

        result = reconcile(settings, pbr_claims.CONTRACT)
        what = {"rows": len(result.rows), "paid": result.totals["paid"], "claimed": result.totals["claimed"]}
    return {
        "seconds": time.perf_counter() - start,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **what,
    }


def run_child(step: str, data: Path, argument: str, env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", step, "--data", str(data), argument]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        sys.exit(f"{step} {argument} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def quarters(first: dt.date, last: dt.date) -> list[str]:
    out, year, quarter = [], first.year, (first.month - 1) // 3 + 1
    while (year, quarter) <= (last.year, (last.month - 1) // 3 + 1):
        out.append(f"{year}-Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="20,000 claims, 5,000 participants (for CI)")
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--participants", type=int, default=250_000)
    parser.add_argument("--keep", type=Path, help="the directory of bench/pbr_claims.py --keep to reuse")
    parser.add_argument("--child", choices=["import", "pay", "reconcile"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("argument", nargs="?", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.data, args.argument)))
        return

    claims, participants = (20_000, 5_000) if args.smoke else (args.claims, args.participants)
    with contextlib.ExitStack() as stack:
        tmp, env = pbr_claims.prepared(stack, args.keep, claims, participants)
        data, template, claims_csv = tmp / "data", tmp / pbr_claims.TEMPLATE, tmp / pbr_claims.CLAIMS_FILE
        pbr_claims.restore(template, data / "commissioning.db")
        imported = run_child("import", data, str(claims_csv), env)
        print(f"claims import: {imported['added']:,} claims in {imported['seconds']:.2f} s (not judged here)")

        runs: list[tuple[str, dict[str, Any]]] = []
        for period in quarters(pbr_claims.WINDOW[0], pbr_claims.CLAIMS_AS_OF.date()):
            result = run_child("pay", data, period, env)
            runs.append((period, result))
            print(
                f"pay {period}: {result['claims']:>9,} claims, £{float(result['paid']):>15,.2f} "
                f"in {result['seconds']:6.2f} s, peak {result['peak_mb']:5.0f} MB",
                flush=True,
            )
        recon = run_child("reconcile", data, "", env)
        print(
            f"reconcile: {recon['rows']} rows (period x outcome), paid £{float(recon['paid']):,.2f}, "
            f"in {recon['seconds']:.2f} s, peak {recon['peak_mb']:.0f} MB"
        )
        pbr_claims.restore(template, data / "commissioning.db")

    busy = [r for _, r in runs if r["claims"]]
    paid = sum(r["claims"] for r in busy)
    if not busy:
        sys.exit("no run paid anything")
    if sum(Decimal(r["paid"]) for _, r in runs) != Decimal(recon["paid"]):
        sys.exit(f"the runs paid {sum(Decimal(r['paid']) for _, r in runs)}, reconciliation says {recon['paid']}")
    per_claim = statistics.median(r["seconds"] / r["claims"] * 1e6 for r in busy)
    first, last = busy[0], busy[-1]
    note = "(smoke: not judged)" if args.smoke else "(no target set by issue 5)"
    print()
    print(f"payment runs: {len(runs)} quarters, {paid:,} claims paid {note}")
    print(f"  median time per claim paid: {per_claim:.1f} µs")
    slowest, largest = max(r["seconds"] for _, r in runs), max(r["peak_mb"] for _, r in runs)
    print(f"  slowest run: {slowest:.2f} s; largest peak: {largest:.0f} MB")
    print(
        f"  first run with claims: {first['seconds']:.2f} s for {first['claims']:,}; "
        f"last: {last['seconds']:.2f} s for {last['claims']:,} (with every earlier run's ledger behind it)"
    )


if __name__ == "__main__":
    main()
