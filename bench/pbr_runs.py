"""Payment by results after a big claims import: every quarter's payment run, then reconciliation.

Targets (issue 19, at 1,000,000 claims on SQLite): the largest quarter's run
(205,072 claims) under 8 s and under 300 MB peak; a run paying under 100
claims under 1 s; reconcile under 3 s. (On PostgreSQL at 10,000,000 claims:
every quarter under 30 s and 500 MB, reconcile under 10 s; run by hand.)
A run is proposed by one finance user and approved by another
(tests/support/approvals.py), so each run's figure is both steps together.
Printed for each run, in a fresh process: the claims it paid, its wall time
and its peak resident set; then the same for `reconcile`. Beside the
targets: the median run's time per claim paid, the first and last runs side
by side (a run should not grow with the ledger behind it), and the ratio of
the largest run to a floor measured in the same run: reading that quarter's
accepted claims with sqlite3 and writing them, one line per claim and payer,
to a CSV file (what a run must at least do: read its claims and write them
out, here without the ledger or the schedules' second copy). Each step's CPU
time is printed beside its wall time: on a shared machine the wall time
includes waiting for a core.

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
    .venv/bin/python bench/pbr_runs.py --postgres --claims 1000000 --participants 250000   # on PostgreSQL
    .venv/bin/python bench/pbr_runs.py --keep DIR --reconcile-only   # reconcile again, on DIR's database after runs
    .venv/bin/python bench/pbr_runs.py --postgres --keep-database NAME   # keep the database after the runs

With --keep, the database after the runs is kept as DIR/after-runs.db (with the runs' figures, after-runs.json);
--reconcile-only then copies it back and times reconcile alone, three fresh processes, without redoing the runs.

With --postgres the same build goes into a template database on a private PostgreSQL cluster on 127.0.0.1
(tests/support/postgres.py, as bench/pbr_claims_pg.py; or the server COMMISSIONING_BENCH_POSTGRES_URL names),
the runs go against a copy of it, the floor reads the quarter with psycopg, and the peak is the run's own
process (the server's memory is not in it). Each step's line also gives the CPU of the server processes that
served it (sampled every 50 ms from /proc, as bench/pbr_claims_pg.py does; left out for a server on another
machine): there most of a run's work is the server's, which the run's own CPU does not count. Its targets are
for 10,000,000 claims (every quarter under 30 s and 500 MB, a run paying under 100 claims under 1 s, reconcile
under 10 s); below that it is a scaled point.
With --keep-database NAME (on the server COMMISSIONING_BENCH_POSTGRES_URL names, which outlives the bench), the
database after the runs is copied to NAME before reconcile, so that reconcile can be timed again on copies of it
(``CREATE DATABASE x TEMPLATE NAME``, then ``--child reconcile`` with COMMISSIONING_DATABASE_URL naming x).
"""

import argparse
import contextlib
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import pbr_claims  # noqa: E402  (the same database, files and build)
from pbr_outputs import save_outputs  # noqa: E402

# The day after the last quarter with claims ends (2028-07-01, moved back as pbr_claims moves the timeline).
AS_OF = pbr_claims.CLAIMS_AS_OF + dt.timedelta(days=1)
RESULT = "result.json"
AFTER_RUNS = "after-runs.db"


def child(step: str, data: Path, argument: str) -> dict[str, Any]:
    from flows.common.settings import load_settings

    settings = load_settings()
    # the modules the step uses, and no others (`commission reconcile` loads no payment-run code), are imported
    # before its clock starts: their import is the process's start-up, which the parent times with the whole
    # process (``process_seconds``)
    if step == "import":
        from flows.pbr.claims_import import import_claims
    elif step == "pay":
        from tests.support.approvals import approved_run  # proposed by one finance user, approved by another
    elif step == "reconcile":
        from flows.pbr.reconcile import reconcile

    start, used = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    if step == "import":
        report = import_claims(settings, Path(argument), as_of=pbr_claims.CLAIMS_AS_OF, actor="bench")
        what: dict[str, Any] = {"added": report.added}
    elif step == "pay":
        run = approved_run(settings, pbr_claims.CONTRACT, argument, as_of=AS_OF, actor="bench")
        what = {"claims": run.summary["claims"], "paid": run.summary["paid"]}
    elif step == "floor":
        return floor(data, argument)
    else:
        result = reconcile(settings, pbr_claims.CONTRACT)
        what = {"rows": len(result.rows), "paid": result.totals["paid"], "claimed": result.totals["claimed"]}
    done = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": time.perf_counter() - start,
        "cpu": done.ru_utime + done.ru_stime - used.ru_utime - used.ru_stime,
        "peak_mb": done.ru_maxrss / 1024,
        **what,
    }


def floor(data: Path, period: str) -> dict[str, Any]:
    """Read a quarter's accepted claims with the driver alone (sqlite3, or psycopg on PostgreSQL) and write them
    to a CSV, two payers a claim: the floor."""
    import csv
    import os
    import sqlite3

    year, quarter = int(period[:4]), int(period[-1])
    first = dt.date(year, 3 * quarter - 2, 1)
    last = dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1) - dt.timedelta(days=1)
    start = time.perf_counter()
    url = os.environ.get("COMMISSIONING_DATABASE_URL", "")
    sql = (
        "SELECT ref, participant, outcome, achieved_on, payable_pence FROM pbr_claim{} "
        "WHERE verdict IN ('accepted', 'partly_accepted') AND achieved_on BETWEEN ? AND ? ORDER BY achieved_on, ref"
    )
    if url.startswith("postgresql"):
        import psycopg

        connection: Any = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        rows = connection.execute(sql.format("").replace("?", "%s"), (first, last))
    else:
        connection = sqlite3.connect(data / "commissioning.db")
        # a plain scan, as before migration 0026: its partial index of accepted claims by participant would be
        # chosen, and read at random (3.2 s against 1.8 s at a million claims)
        rows = connection.execute(sql.format(" NOT INDEXED"), (first.isoformat(), last.isoformat()))
    count = 0
    with tempfile.TemporaryFile("w+", newline="") as out:
        writer = csv.writer(out)
        for ref, participant, outcome, achieved, pence in rows:
            for payer in ("central fund", "council"):
                writer.writerow([payer, "outcome", ref, participant, outcome, achieved, f"{pence / 200:.2f}"])
            count += 1
    connection.close()
    return {"seconds": time.perf_counter() - start, "peak_mb": 0.0, "claims": count}


def postgres_prepared(stack: contextlib.ExitStack, claims: int, participants: int) -> tuple[Path, dict[str, str]]:
    """A private PostgreSQL cluster (or COMMISSIONING_BENCH_POSTGRES_URL's server), bench/pbr_claims.py's build
    in a template database there, and a copy of it to run against; the folder of the claims file, and the
    environment that points the commands at the copy."""
    import os
    import uuid

    from pbr_claims_pg import admin, bench_server, with_database

    server = bench_server(stack)
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="commissioning-bench-pg-")))
    template, run = f"bench_template_{uuid.uuid4().hex[:8]}", f"bench_runs_{uuid.uuid4().hex[:8]}"
    admin(server, f'CREATE DATABASE "{template}"')
    stack.callback(admin, server, f'DROP DATABASE IF EXISTS "{template}"')
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMISSIONING_")}
    env.update(COMMISSIONING_DATA_DIR=str(tmp / "data"), PYTHONPATH=str(HERE.parent))
    command = [sys.executable, str(HERE / "pbr_claims_pg.py"), "--child", "build", str(tmp), str(claims)]
    built = subprocess.run(
        [*command, str(participants)],
        env={**env, "COMMISSIONING_DATABASE_URL": with_database(server, template)},
        timeout=7200,
    )
    if built.returncode != 0:
        sys.exit("building the template database failed")
    admin(server, f'CREATE DATABASE "{run}" TEMPLATE "{template}"')
    stack.callback(admin, server, f'DROP DATABASE IF EXISTS "{run}"')
    env["COMMISSIONING_DATABASE_URL"] = with_database(server, run)
    return tmp, env


def run_child(step: str, data: Path, argument: str, env: dict[str, str]) -> dict[str, Any]:
    """One step in a fresh process; on PostgreSQL also the CPU of the server processes that served its database
    (``server_cpu``): most of a run's work there is the server's, which the process's own CPU leaves out."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", step, "--data", str(data), argument]
    started, used = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    served = _served_by(env.get("COMMISSIONING_DATABASE_URL", ""))
    server: dict[int, float] = {}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child_process = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)
        deadline = time.monotonic() + 3600
        while served is not None and child_process.poll() is None and time.monotonic() < deadline:
            served(server)
            time.sleep(0.05)
        try:
            child_process.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            child_process.kill()
            sys.exit(f"{step} {argument} took over an hour")
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child_process.returncode != 0:
        sys.exit(f"{step} {argument} failed:\n{stderr[-4000:]}")
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["process_seconds"] = time.perf_counter() - started  # the fresh process's whole life, start-up included
    result["process_cpu"] = now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime
    if served is not None:
        result["server_cpu"] = sum(server.values())
    return result


def _served_by(url: str) -> Any:
    """On PostgreSQL, a function that records into a dict the CPU seconds so far of each server process serving
    ``url``'s database (bench/pbr_claims_pg.py's ``server_cpu``, sampled every 50 ms while a step runs: a
    backend's last few ms before it exits are missed); None on SQLite, or when the server's processes cannot be
    read (a server on another machine)."""
    if not url.startswith("postgresql"):
        return None
    from pbr_claims_pg import postmaster_pid, server_cpu
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    try:
        postmaster = postmaster_pid(
            parsed.set(database="postgres", drivername="postgresql").render_as_string(hide_password=False)
        )
    except OSError:
        return None
    return lambda seen: server_cpu(postmaster, str(parsed.database), seen)


def reconcile_line(recon: dict[str, Any], target: int) -> str:
    return (
        f"reconcile: {recon['rows']} rows (period x outcome), paid £{float(recon['paid']):,.2f}; "
        f"the call alone {recon['seconds']:.2f} s (CPU {recon['cpu']:.2f} s); "
        f"the fresh process {recon['process_seconds']:.2f} s (CPU {recon['process_cpu']:.2f} s), start-up included; "
        f"target < {target} s; peak {recon['peak_mb']:.0f} MB"
    )


def reconcile_only(tmp: Path, data: Path, env: dict[str, str]) -> None:
    """Reconcile the database kept after the runs, in three fresh processes; the median of each figure."""
    if not (tmp / AFTER_RUNS).exists():
        sys.exit(f"{tmp / AFTER_RUNS} is missing: run once with --keep {tmp} (without --reconcile-only)")
    paid = sum(Decimal(r["paid"]) for _, r in json.loads((tmp / "after-runs.json").read_text()))
    pbr_claims.restore(tmp / AFTER_RUNS, data / "commissioning.db")
    tries = [run_child("reconcile", data, "", env) for _ in range(3)]
    if any(Decimal(t["paid"]) != paid for t in tries):
        sys.exit(f"the runs paid {paid}, reconciliation says {tries[0]['paid']}")
    keys = ("seconds", "cpu", "peak_mb", "process_seconds", "process_cpu")
    median = {k: statistics.median(t[k] for t in tries) for k in keys}
    print(reconcile_line({**tries[0], **median}, 3) + " (median of 3)")


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
    parser.add_argument("--postgres", action="store_true", help="on a private PostgreSQL cluster (see above)")
    parser.add_argument("--reconcile-only", action="store_true", help="with --keep: reconcile DIR/after-runs.db")
    parser.add_argument("--keep-database", help="--postgres: copy the database after the runs to this name")
    parser.add_argument("--outputs", type=Path, help="save the ledger, run summaries and schedules here")
    parser.add_argument("--child", choices=["import", "pay", "reconcile", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("argument", nargs="?", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.data, args.argument)))
        return

    claims, participants = (20_000, 5_000) if args.smoke else (args.claims, args.participants)
    with contextlib.ExitStack() as stack:
        if args.postgres:
            tmp, env = postgres_prepared(stack, claims, participants)
        else:
            tmp, env = pbr_claims.prepared(stack, args.keep, claims, participants)
        data, template, claims_csv = tmp / "data", tmp / pbr_claims.TEMPLATE, tmp / pbr_claims.CLAIMS_FILE
        if args.reconcile_only:
            reconcile_only(tmp, data, env)
            return
        if not args.postgres:
            pbr_claims.restore(template, data / "commissioning.db")
        imported = run_child("import", data, str(claims_csv), env)
        print(f"claims import: {imported['added']:,} claims in {imported['seconds']:.2f} s (not judged here)")

        runs: list[tuple[str, dict[str, Any]]] = []
        for period in quarters(pbr_claims.WINDOW[0], pbr_claims.CLAIMS_AS_OF.date()):
            result = run_child("pay", data, period, env)
            runs.append((period, result))
            print(
                f"pay {period}: {result['claims']:>9,} claims, £{float(result['paid']):>15,.2f} "
                f"in {result['seconds']:6.2f} s (CPU {result['cpu']:6.2f} s; "
                f"{result['process_seconds']:6.2f} s with the process's start-up), peak {result['peak_mb']:5.0f} MB"
                + (f"; server CPU {result['server_cpu']:6.2f} s" if "server_cpu" in result else ""),
                flush=True,
            )
        if args.keep and not args.postgres:  # for --reconcile-only
            pbr_claims.restore(data / "commissioning.db", tmp / AFTER_RUNS)
            (tmp / "after-runs.json").write_text(json.dumps(runs))
        if args.postgres and args.keep_database:  # the runs' children have exited: nothing holds the database
            from pbr_claims_pg import admin
            from sqlalchemy.engine import make_url

            url = make_url(env["COMMISSIONING_DATABASE_URL"])
            server = url.set(database="postgres").render_as_string(hide_password=False).replace("+psycopg", "")
            admin(server, f'CREATE DATABASE "{args.keep_database}" TEMPLATE "{url.database}"')
        recon = run_child("reconcile", data, "", env)
        print(reconcile_line(recon, 10 if args.postgres else 3))
        if args.outputs:
            save_outputs(data, args.outputs, env.get("COMMISSIONING_DATABASE_URL", ""))
        largest_period, largest = max(runs, key=lambda r: r[1]["claims"])
        floors = [run_child("floor", data, largest_period, env)["seconds"] for _ in range(3)]
        if not args.postgres:
            pbr_claims.restore(template, data / "commissioning.db")

    busy = [r for _, r in runs if r["claims"]]
    paid = sum(r["claims"] for r in busy)
    if not busy:
        sys.exit("no run paid anything")
    if sum(Decimal(r["paid"]) for _, r in runs) != Decimal(recon["paid"]):
        sys.exit(f"the runs paid {sum(Decimal(r['paid']) for _, r in runs)}, reconciliation says {recon['paid']}")
    per_claim = statistics.median(r["seconds"] / r["claims"] * 1e6 for r in busy)
    first, last = busy[0], busy[-1]
    full = claims == (10_000_000 if args.postgres else 1_000_000) and not args.smoke
    # (largest or any run's seconds, its MB, reconcile's seconds): SQLite at 1 M; PostgreSQL at 10 M, every quarter
    run_s, run_mb, recon_s = (30, 500, 10) if args.postgres else (8, 300, 3)
    note = (
        ""
        if full
        else f" ({'smoke' if args.smoke else f'{claims:,} claims'}: the targets are for "
        f"{'10,000,000 on PostgreSQL' if args.postgres else '1,000,000'}; not judged)"
    )
    small = [(p, r) for p, r in runs if r["claims"] < 100]
    floor_s = statistics.median(floors)
    print()
    print(f"payment runs: {len(runs)} quarters, {paid:,} claims paid{note}")
    print(
        f"  largest quarter, {largest_period} ({largest['claims']:,} claims): {largest['seconds']:.2f} s "
        f"(target < {run_s} s; CPU {largest['cpu']:.2f} s"
        + (f", the server's {largest['server_cpu']:.2f} s" if "server_cpu" in largest else "")
        + f"; {largest['process_seconds']:.2f} s as a fresh process), "
        f"peak {largest['peak_mb']:.0f} MB (target < {run_mb} MB); "
        f"{largest['seconds'] / floor_s:.1f}x the floor ({floor_s:.2f} s, median of 3: read its claims, write a CSV)"
    )
    for period, r in small:
        print(
            f"  {period}, paying {r['claims']} claims (under 100): {r['seconds']:.2f} s in the process, after its "
            f"start-up (target < 1 s; CPU {r['cpu']:.2f} s); {r['process_seconds']:.2f} s as a fresh process, "
            f"{r['process_seconds'] - r['seconds']:.2f} s of it start-up (Python, imports)"
        )
    print(f"  {reconcile_line(recon, recon_s)}")
    print(f"  median time per claim paid: {per_claim:.1f} µs")
    slowest, peak = max(r["seconds"] for _, r in runs), max(r["peak_mb"] for _, r in runs)
    print(
        f"  slowest run: {slowest:.2f} s{f' (target < {run_s} s, every quarter)' if args.postgres else ''}; "
        f"largest peak: {peak:.0f} MB "
        f"(target < {run_mb} MB)"
    )
    print(
        f"  first run with claims: {first['seconds']:.2f} s for {first['claims']:,}; "
        f"last: {last['seconds']:.2f} s for {last['claims']:,} (with every earlier run's ledger behind it)"
    )


if __name__ == "__main__":
    main()
