"""Payment by results: import, validate and price 1,000,000 claims for 250,000 participants.

Targets (issue 5):
  - `import_claims` of one CSV file of 1,000,000 claims for 250,000 participants
    (reading, parsing, validation against the rate card, pricing and caps, storing
    every claim with its verdict and reasons, in one transaction): under 20 s on
    2 cores with SQLite;
  - peak memory under 1 GB: the importing process and the workers it forks to decide the claims on the
    other cores, between them (the sum of their peak resident sets, an upper bound since the pages a
    worker shares with its parent count twice; and the largest sum of their proportional set sizes
    sampled every 100 ms, in one more import run for that alone: reading them costs about 30 ms of a
    core each time, which would slow the timed runs);
  - reported alongside: the ratio to a plain bulk insert of the same rows into
    the same database, measured in the same run.

Setup (not timed against a target): a fresh SQLite data dir, the FCF-2025-01
contract as tests/support/builders.py adds it, priced on the Fair Chance Fund card of
examples/ with its cohort and contract cap scaled to the number of participants
(the shipped card's £1.5m cap for 300 would reject all but the first few
thousand claims as over the cap), and the participants imported with
`import_participants` (timed and printed). The claims file is seeded: each
participant follows one or more tracks of the card (assessments,
accommodation, education, employment, volunteering) with the evidence the card
asks for and dates that respect its prerequisites and intervals; a few claim
more than the card price (partly accepted), and about 10% are made rejectable
(too early, before referral, prerequisite missing, duplicate claim reference,
unknown participant, evidence missing, already paid, mutually exclusive).

The whole timeline is moved YEARS_BACK (4) years into the past: nothing may be
dated after the real clock (an event, a claim achieved after the import's
as-of, a payment run). The contract starts, the card takes effect and
referrals open on 1 October 2021 (the shipped card and the builder say 2025),
participants are imported as of 1 October 2022 and the claims as of 30 June
2024. The claims are laid out in days from each referral, with the same seed;
four years (not three) keep the leap day in the same place (February 2024 for
2028), so every claim falls on the same day of the same month and quarter as
before: the same file, the same verdicts and the same payment runs, quarter by
quarter, only the years changed.

The import decides the claims on every core: with no contract or outcome cap
in reach, it forks one worker per further core, each deciding a share of whole
participants (flows/pbr/claims_parallel.py, ``worker_shares``). Its CPU time and peak
resident set are printed beside the importing process's own.

Each repetition runs in a fresh process, on a copy of the database as it was
before the claims import, so that peak memory (ru_maxrss) is the import's own
(and its workers').
The floor, in the same run and on another fresh copy: read the same CSV with
csv.reader and insert the same 1,000,000 rows into pbr_claim (same columns and
indexes, the application's pragmas, a dummy verdict, no validation) with
sqlite3 executemany in one transaction, in chunks as the import does. CPU
times and the load average are printed too: other work on the same cores
lengthens the wall time.

    .venv/bin/python bench/pbr_claims.py              # full: 1,000,000 claims, 250,000 participants, 3 runs
    .venv/bin/python bench/pbr_claims.py --smoke      # CI: 20,000 claims, 5,000 participants, 1 run, not judged
    .venv/bin/python bench/pbr_claims.py --profile    # also one profiled import: top 25 by cumulative time
    .venv/bin/python bench/pbr_claims.py --keep DIR   # build the database and files in DIR once; later runs
                                                      # with the same sizes reuse them (setup not redone)
    .venv/bin/python bench/pbr_claims.py --refs scattered --keep DIR2
                                                      # claim references in no order: each lands on another
                                                      # page of the reference index (keep it in its own DIR)
"""

import argparse
import contextlib
import csv
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pbr_data import (
    CLAIMS_AS_OF,
    CONTRACT,
    PARTICIPANTS_AS_OF,
    REFS,
    SEED,
    WINDOW,  # noqa: F401  (bench/pbr_runs.py reads it from here, with the rest of this build)
    YEARS_BACK,
    add_contract,
    scaled_card,
    write_claims,
    write_participants,
)

TARGET_SECONDS = 20.0
TARGET_MB = 1024.0
CHUNK = 20_000  # rows per executemany in the floor, as models/pbr/bulk.py bulk_insert
TEMPLATE, CLAIMS_FILE = "before-claims.db", "claims.csv"


# --------------------------------------------------------------------------- the children


def high_water_mb() -> float:
    """This process's own peak resident size (VmHWM), as a cross-check of ru_maxrss."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child_import(data: Path, claims: Path, profile: bool) -> dict[str, Any]:
    from flows.common.settings import load_settings
    from flows.pbr.claims_import import import_claims

    settings = load_settings()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu = time.process_time()
    start = time.perf_counter()
    if profile:
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        report = profiler.runcall(import_claims, settings, claims, as_of=CLAIMS_AS_OF, actor="bench")
        elapsed = time.perf_counter() - start
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
        print(text.getvalue(), file=sys.stderr)
    else:
        report = import_claims(settings, claims, as_of=CLAIMS_AS_OF, actor="bench")
        elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # the import's forked workers, once reaped
    with sqlite3.connect(data / "commissioning.db") as connection:
        stored = connection.execute("SELECT count(*) FROM pbr_claim").fetchone()[0]
    return {
        "seconds": elapsed,
        "cpu": cpu,
        "worker_cpu": workers.ru_utime + workers.ru_stime,
        "worker_peak_mb": workers.ru_maxrss / 1024,
        "peak_mb": peak,
        "hwm_mb": high_water_mb(),
        "baseline_mb": baseline,
        "rows": report.rows,
        "added": report.added,
        "unchanged": report.unchanged,
        "accepted": report.accepted,
        "partly_accepted": report.partly_accepted,
        "rejected": report.rejected,
        "payable": f"{report.payable:.2f}",
        "by_reason": dict(report.by_reason.most_common()),
        "stored": stored,
    }


def child_floor(data: Path, claims: Path) -> dict[str, Any]:
    """The same rows straight from the CSV into pbr_claim: sqlite3, executemany, one transaction."""
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    connection = sqlite3.connect(data / "commissioning.db", isolation_level=None)
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", "busy_timeout=30000"):  # as models/db.py sets them
        connection.execute(f"PRAGMA {pragma}")
    contracts = dict(connection.execute("SELECT ref, id FROM contract"))
    card_id = connection.execute("SELECT max(id) FROM rate_card").fetchone()[0]
    columns = (
        "contract_id, import_id, line, ref, fingerprint, participant, outcome, achieved_on, evidence, amount_pence, "
        "claimed_pence, price_pence, payable_pence, capped_pence, verdict, reasons, notes, rate_card_id"
    )
    sql = f"INSERT INTO pbr_claim ({columns}) VALUES ({', '.join('?' * 18)})"
    inserting = 0.0
    cpu = time.process_time()
    start = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    import_id = connection.execute(
        "INSERT INTO claim_import (source, sha256, imported_at, actor, rows, added, unchanged, accepted, "
        "partly_accepted, rejected) VALUES (?, ?, ?, 'bench', 0, 0, 0, 0, 0, 0)",
        (str(claims), "0" * 64, CLAIMS_AS_OF.strftime("%Y-%m-%d %H:%M:%S.%f")),
    ).lastrowid
    rows = 0
    with claims.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        ic, ir, ip, io_, ia, iamount, ievidence = (
            header.index(n)
            for n in ("contract", "claim_ref", "participant", "outcome", "achieved_on", "amount", "evidence")
        )
        chunk: list[tuple[Any, ...]] = []
        for line, cells in enumerate(reader, start=2):
            amount = round(float(cells[iamount]) * 100) if cells[iamount] else None
            chunk.append(
                (
                    contracts.get(cells[ic]),
                    import_id,
                    line,
                    cells[ir],
                    f"{line:016x}",  # unique: duplicate references must not collide with uq_pbr_claim_content
                    cells[ip],
                    cells[io_],
                    cells[ia],
                    cells[ievidence],
                    amount,
                    amount or 0,
                    0,
                    0,
                    0,
                    "accepted",
                    "",
                    "",
                    card_id,
                )
            )
            if len(chunk) >= CHUNK:
                began = time.perf_counter()
                connection.executemany(sql, chunk)
                inserting += time.perf_counter() - began
                rows += len(chunk)
                chunk = []
        began = time.perf_counter()
        connection.executemany(sql, chunk)
        rows += len(chunk)
        connection.execute("COMMIT")
        inserting += time.perf_counter() - began
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stored = connection.execute("SELECT count(*) FROM pbr_claim").fetchone()[0]
    connection.close()
    return {
        "seconds": elapsed,
        "insert_seconds": inserting,
        "cpu": cpu,
        "peak_mb": peak,
        "hwm_mb": high_water_mb(),
        "baseline_mb": baseline,
        "rows": rows,
        "stored": stored,
    }


# --------------------------------------------------------------------------- the parent


def restore(template: Path, db: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, db)


def run_child(
    mode: str, data: Path, claims: Path, env: dict[str, str], *, sample_memory: bool = False
) -> dict[str, Any]:
    """Run one measurement in a fresh process. With ``sample_memory``, also sample the memory of it and its
    workers together, every 100 ms: each sample reads every page table of the processes (about 30 ms of
    a core at a million claims), so a sampled run is slower, and is not one of the timed runs."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--data", str(data), str(claims)]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)
        together = 0.0
        deadline = time.monotonic() + 3600
        while child.poll() is None and time.monotonic() < deadline:
            if sample_memory:
                together = max(together, tree_pss_mb(child.pid))
                time.sleep(0.1)
            else:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=max(deadline - time.monotonic(), 0))
        if child.poll() is None:
            child.kill()
            sys.exit(f"the {mode} run took over an hour")
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0:
        sys.exit(f"the {mode} run failed:\n{stderr[-4000:]}")
    if stderr.strip():
        print(stderr, end="", file=sys.stderr, flush=True)
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    result["together_mb"] = together
    return result


def tree_pss_mb(pid: int) -> float:
    """The proportional set size of a process and its descendants, added up: the memory they use between
    them, with pages they share counted once (a forked worker shares its parent's pages until written)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as rollup:
                total += next((int(line.split()[1]) for line in rollup if line.startswith("Pss:")), 0)
            with open(f"/proc/{current}/task/{current}/children") as children:
                todo.extend(int(child) for child in children.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # it has just ended
    return total / 1024


def build(tmp: Path, data: Path, template: Path, claims_csv: Path, claims: int, participants: int, refs: str) -> None:
    """Migrate, create the contract and its card, import the participants, write the claims; keep a template
    (on SQLite; on PostgreSQL the database built is the template)."""
    from flows.common.runtime import engine, initialise
    from flows.common.settings import load_settings
    from flows.pbr.participants import import_participants
    from flows.pbr.ratecards import import_rate_card

    settings = load_settings()
    start = time.perf_counter()
    initialise(settings)
    card = tmp / "fair-chance-fund-scaled.yaml"
    scaled_card(card, participants)
    add_contract(settings)
    import_rate_card(  # £10,000 a participant: more than the builder's £1.5m contract, on purpose
        settings,
        card,
        as_of=PARTICIPANTS_AS_OF,
        actor="bench",
        allow_cap_over_value=True,
        reason=f"benchmark: a cap of £10,000 for each of {participants:,} participants",
    )
    print(f"schema, contract {CONTRACT} and its card: {time.perf_counter() - start:.2f} s", flush=True)

    start = time.perf_counter()
    participants_csv = tmp / "participants.csv"
    referrals = write_participants(participants_csv, participants)
    written = time.perf_counter() - start
    start = time.perf_counter()
    result = import_participants(settings, participants_csv, as_of=PARTICIPANTS_AS_OF, actor="bench")
    took = time.perf_counter() - start
    print(
        f"participants: {participants:,} written in {written:.2f} s; import_participants {took:.2f} s "
        f"({result.added:,} added, {len(result.ineligible):,} not eligible; not a target)",
        flush=True,
    )
    if result.added != participants or result.ineligible:
        sys.exit(f"participants import: expected {participants:,} eligible added, got {result.as_dict()}")

    start = time.perf_counter()
    kinds = write_claims(claims_csv, claims, referrals, refs)
    size = claims_csv.stat().st_size / 1e6
    deliberate = ", ".join(f"{k} {n:,}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    print(
        f"claims file: {claims:,} rows, {size:.0f} MB, written in {time.perf_counter() - start:.2f} s; "
        f"made rejectable on purpose: {sum(kinds.values()):,} ({deliberate})",
        flush=True,
    )

    engine(settings).dispose()
    if not settings.database_url.startswith("sqlite"):  # bench/pbr_claims_pg.py: its database is the template
        return
    with contextlib.closing(sqlite3.connect(data / "commissioning.db")) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(data / "commissioning.db", template)


def prepared(
    stack: contextlib.ExitStack, keep: Path | None, claims: int, participants: int, refs: str = "in-order"
) -> tuple[Path, dict[str, str]]:
    """The folder holding the database template and the claims file (``keep``, or a temporary one that
    ``stack`` removes), built unless ``keep`` already holds them at these sizes; and the environment that
    points the commands at its data dir."""
    if keep is not None:
        tmp = keep.resolve()
        tmp.mkdir(parents=True, exist_ok=True)
    else:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="commissioning-bench-")))
    data = tmp / "data"
    for name in [k for k in os.environ if k.startswith("COMMISSIONING_")]:
        del os.environ[name]
    os.environ["COMMISSIONING_DATA_DIR"] = str(data)
    env = dict(os.environ)
    template, claims_csv, built = tmp / TEMPLATE, tmp / CLAIMS_FILE, tmp / "built"
    # The timeline is part of the build: a folder kept from before it moved back is not reused.
    # So is the schema: a template built before a migration is built again.
    from models.revision import SCHEMA_REVISION

    sizes = f"{claims} {participants} {SEED} -{YEARS_BACK}y{'' if refs == 'in-order' else ' ' + refs}"
    sizes += f" schema {SCHEMA_REVISION}\n"
    if built.exists() and built.read_text() == sizes and template.exists() and claims_csv.exists():
        print(f"reusing the database and claims file in {tmp} (setup not redone)", flush=True)
        return tmp, env
    if built.exists() or data.exists():
        sys.exit(f"{tmp} holds another build ({built.read_text().strip() or '?'}); keep this one elsewhere")
    # In a process of its own, so that this one stays small: on Linux a child's ru_maxrss starts from
    # the resident size of the process that spawned it.
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "build", "--data", str(tmp)]
    command += ["--claims", str(claims), "--participants", str(participants), "--refs", refs]
    if subprocess.run(command, env=env, timeout=3600).returncode != 0:
        sys.exit("building the database and the files failed")
    built.write_text(sizes)
    return tmp, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="20,000 claims, 5,000 participants, 1 run (for CI)")
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--participants", type=int, default=250_000)
    parser.add_argument("--repeat", type=int, default=3, help="fresh-process runs of the import and the floor")
    parser.add_argument(
        "--refs",
        choices=list(REFS),
        default="in-order",
        help="; ".join(f"{name}: {what}" for name, what in REFS.items()),
    )
    parser.add_argument("--profile", action="store_true", help="one more import under cProfile: top 25 by cumtime")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="build the database and the files in DIR and keep them; if DIR already holds them, reuse them",
    )
    parser.add_argument("--child", choices=["build", "import", "floor", "profile"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("file", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "build":
        tmp = args.data
        build(tmp, tmp / "data", tmp / TEMPLATE, tmp / CLAIMS_FILE, args.claims, args.participants, args.refs)
        return
    if args.child:
        if args.child == "floor":
            result = child_floor(args.data, args.file)
        else:
            result = child_import(args.data, args.file, profile=args.child == "profile")
        print(json.dumps(result))
        return

    claims, participants, repeat = args.claims, args.participants, args.repeat
    if args.smoke:
        claims, participants, repeat = 20_000, 5_000, 1
    if claims < participants:
        sys.exit("give at least one claim per participant")

    with contextlib.ExitStack() as stack:
        tmp, env = prepared(stack, args.keep, claims, participants, args.refs)
        data, template, claims_csv = tmp / "data", tmp / TEMPLATE, tmp / CLAIMS_FILE
        db = data / "commissioning.db"

        imports: list[dict[str, Any]] = []
        floors: list[dict[str, Any]] = []
        for run in range(repeat):
            restore(template, db)
            imports.append(run_child("import", data, claims_csv, env))
            restore(template, db)
            floors.append(run_child("floor", data, claims_csv, env))
            i, f = imports[-1], floors[-1]
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(
                f"run {run + 1}/{repeat} (load average {load}): "
                f"import_claims {i['seconds']:.2f} s (cpu {i['cpu']:.2f} s + workers {i['worker_cpu']:.2f} s), "
                f"peak {i['peak_mb']:.0f} MB (VmHWM {i['hwm_mb']:.0f}; workers {i['worker_peak_mb']:.0f}); "
                f"floor {f['seconds']:.2f} s (insert alone {f['insert_seconds']:.2f} s), "
                f"peak {f['peak_mb']:.0f} MB (VmHWM {f['hwm_mb']:.0f})",
                flush=True,
            )
        restore(template, db)
        memory = run_child("import", data, claims_csv, env, sample_memory=True)
        print(
            f"memory run (not timed): peak {memory['peak_mb']:.0f} MB, workers {memory['worker_peak_mb']:.0f} MB; "
            f"together, sampled every 100 ms: {memory['together_mb']:.0f} MB (it took {memory['seconds']:.2f} s)",
            flush=True,
        )
        if args.profile:
            restore(template, db)
            print("profiled import (cProfile, top 25 by cumulative time; slower than unprofiled):", flush=True)
            profiled = run_child("profile", data, claims_csv, env)
            print(f"profiled import took {profiled['seconds']:.2f} s", flush=True)
        restore(template, db)
    report(imports, floors, memory, claims, participants, smoke=args.smoke)


def report(
    imports: list[dict[str, Any]],
    floors: list[dict[str, Any]],
    memory: dict[str, Any],
    claims: int,
    people: int,
    smoke: bool,
) -> None:
    last = imports[-1]
    for i in imports:
        if (i["accepted"], i["partly_accepted"], i["rejected"]) != (
            last["accepted"],
            last["partly_accepted"],
            last["rejected"],
        ):
            sys.exit("the repetitions did not decide the same claims the same way")
    if last["rows"] != claims or last["stored"] != last["added"] or floors[-1]["stored"] != claims:
        sys.exit(f"rows read, added or stored do not add up: import {last}, floor {floors[-1]}")
    seconds = [i["seconds"] for i in imports]
    peaks = [i["peak_mb"] for i in [*imports, memory]]
    # Between them, the import and its workers use at most the sum of their peaks (shared pages counted
    # twice), and at least the largest sampled sum of their proportional shares (in the memory run).
    bounds = [i["peak_mb"] + i["worker_peak_mb"] for i in [*imports, memory]]
    floor_seconds = [f["seconds"] for f in floors]
    insert_seconds = [f["insert_seconds"] for f in floors]
    median, floor, insert = (
        statistics.median(seconds),
        statistics.median(floor_seconds),
        statistics.median(insert_seconds),
    )
    peak, floor_peak = max(peaks), max(f["peak_mb"] for f in floors)

    def verdict(ok: bool) -> str:
        return "(smoke: not judged)" if smoke else ("pass" if ok else "MISS")

    n = len(imports)
    spread = f"min {min(seconds):.2f}, max {max(seconds):.2f}"
    # fmt: off
    table = [
        (f"import_claims, {claims:,} claims / {people:,} participants", "", "", ""),
        (f"  wall time, median of {n}", f"{median:.2f} s ({spread})", f"< {TARGET_SECONDS:.0f} s",
         verdict(median < TARGET_SECONDS)),
        ("  peak RSS, the importing process (max over runs)", f"{peak:.0f} MB (at start {last['baseline_mb']:.0f} MB)",
         "", ""),
        ("  peak RSS, its forked workers (max over runs)",
         f"{max(i['worker_peak_mb'] for i in [*imports, memory]):.0f} MB",
         "", ""),
        ("  peak memory, all processes: sum of peak RSS", f"{max(bounds):.0f} MB (shared pages counted twice)",
         f"< {TARGET_MB:.0f} MB", verdict(max(bounds) < TARGET_MB)),
        ("  peak memory, all processes: sampled PSS", f"{memory['together_mb']:.0f} MB (every 100 ms, own run)",
         "", ""),
        ("  rows per second", f"{claims / median:,.0f}", "", ""),
        ("  CPU time, median, all processes", f"{statistics.median(i['cpu'] + i['worker_cpu'] for i in imports):.2f} s",
         "", ""),
        ("floor: csv.reader + sqlite3 executemany, 1 transaction", "", "", ""),
        (f"  wall time, median of {n}", f"{floor:.2f} s (min {min(floor_seconds):.2f}, max {max(floor_seconds):.2f})",
         "", ""),
        ("  of which executemany + commit", f"{insert:.2f} s", "", ""),
        ("  peak RSS", f"{floor_peak:.0f} MB", "", ""),
        ("  rows per second", f"{claims / floor:,.0f}", "", ""),
        ("ratio import / floor", f"{median / floor:.1f}x", "", ""),
        ("ratio import / executemany alone", f"{median / insert:.1f}x", "", ""),
    ]
    # fmt: on
    widths = [max(len(row[c]) for row in [("what", "figure", "target", ""), *table]) for c in range(4)]
    print()
    print(f"{'what':<{widths[0]}} | {'figure':<{widths[1]}} | {'target':<{widths[2]}} |")
    print("-" * (sum(widths) + 9))
    for row in table:
        print(" | ".join(f"{cell:<{w}}" for cell, w in zip(row, widths, strict=True)).rstrip())
    decided = last["accepted"] + last["partly_accepted"] + last["rejected"]
    print()
    print(
        f"verdicts: {last['accepted']:,} accepted, {last['partly_accepted']:,} partly accepted, "
        f"{last['rejected']:,} rejected ({100 * last['rejected'] / max(decided, 1):.1f}%), "
        f"{last['unchanged']:,} unchanged; {last['stored']:,} stored; payable £{float(last['payable']):,.2f}"
    )
    print("reasons: " + ", ".join(f"{code} {count:,}" for code, count in last["by_reason"].items()))


if __name__ == "__main__":
    main()
