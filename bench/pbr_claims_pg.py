"""Payment by results on PostgreSQL: import, validate and price a claims file through COPY (issue 19).

Targets (issue 19, "PostgreSQL at national scale"):
  - 10,000,000 claims for 2,500,000 participants imported, validated and priced (`import_claims`, which on
    PostgreSQL streams the file through COPY into a staging table: flows/pbr/claims_copy.py) in under
    4 minutes on 2 cores;
  - peak memory under 2 GB over all processes: the importing process and every PostgreSQL server process,
    their proportional set sizes added up, sampled every 100 ms (PostgreSQL's shared buffers count once);
  - reported alongside: the ratio to a plain COPY of the same file into an unindexed table of text columns,
    in the same run (psycopg 3, the file's bytes sent in 1 MB blocks).

The same build as bench/pbr_claims.py (bench/pbr_data.py: the Fair Chance Fund card scaled to the
participants, the seeded file with about 10% rejectable claims, the timeline four years back), made once
in a template database; each run imports into a fresh copy of it (CREATE DATABASE ... TEMPLATE), in a
fresh process. The server is a private cluster on 127.0.0.1 (tests/support/postgres.py: fsync off, as in
the tests), unless COMMISSIONING_BENCH_POSTGRES_URL names one. Below full size the time and memory are
also shown scaled to 10,000,000 claims (time linearly; memory should stay flat, which is the point).

    .venv/bin/python bench/pbr_claims_pg.py --smoke                       # CI: 20,000 claims, 1 run, not judged
    .venv/bin/python bench/pbr_claims_pg.py --claims 200000 --participants 50000
    .venv/bin/python bench/pbr_claims_pg.py --claims 1000000 --participants 250000
    .venv/bin/python bench/pbr_claims_pg.py                               # full: 10,000,000 / 2,500,000
    .venv/bin/python bench/pbr_claims_pg.py --keep DIR --repeat 1         # the build kept (template and file)
    .venv/bin/python bench/pbr_claims_pg.py --keep DIR --repeat 1         # ...and used again: no rebuild

``--keep DIR`` needs COMMISSIONING_BENCH_POSTGRES_URL (a server that outlives the run): the template database
(named in DIR/template.txt) and the claims file stay, and a later run with the same DIR, claims and
participants uses them instead of building again (the build is most of the time at full size).
"""

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from pbr_claims import build, tree_pss_mb  # noqa: E402
from pbr_data import CLAIMS_AS_OF  # noqa: E402

FULL_CLAIMS, FULL_PARTICIPANTS = 10_000_000, 2_500_000
TARGET_SECONDS, TARGET_MB = 240.0, 2048.0


def with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


def admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(sql)


def child_build(tmp: Path, claims: int, participants: int) -> None:
    build(tmp, tmp / "data", tmp / "unused", tmp / "claims.csv", claims, participants, "in-order")


def child_import(claims: Path) -> dict[str, Any]:
    from flows.common.settings import load_settings
    from flows.pbr.claims_import import import_claims

    start = time.perf_counter()
    report = import_claims(load_settings(), claims, as_of=CLAIMS_AS_OF, actor="bench")
    took = time.perf_counter() - start
    own, forked = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "seconds": took,
        "cpu": own.ru_utime + own.ru_stime + forked.ru_utime + forked.ru_stime,  # with its forked deciders
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rows": report.rows,
        "added": report.added,
        "rejected": report.rejected,
        "payable": f"{report.payable:.2f}",
    }


def child_floor(url: str, claims: Path) -> dict[str, Any]:
    import psycopg

    start = time.perf_counter()
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE copy_floor (contract text, claim_ref text, participant text, outcome text, "
            "achieved_on text, amount text, evidence text)"
        )
        with claims.open("rb") as handle, cursor.copy("COPY copy_floor FROM STDIN (FORMAT csv, HEADER true)") as copy:
            while block := handle.read(1 << 20):
                copy.write(block)
        rows = cursor.execute("SELECT count(*) FROM copy_floor").fetchone()
    return {"seconds": time.perf_counter() - start, "rows": rows[0] if rows else 0}


def server_cpu(postmaster: int, database: str, seen: dict[int, float]) -> None:
    """Into ``seen``: the CPU seconds so far of each server process serving ``database`` (its backends)."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        with open(f"/proc/{postmaster}/task/{postmaster}/children") as children:
            pids = [int(pid) for pid in children.read().split()]
    except FileNotFoundError:
        return
    for pid in pids:
        try:
            if f" {database} " not in Path(f"/proc/{pid}/cmdline").read_text():
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue  # it has just ended
        seen[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime


def run_child(args: list[str], env: dict[str, str], postmaster: int, database: str) -> dict[str, Any]:
    """One measurement in a fresh process; the PSS of it and the whole server, added up, sampled every 100 ms;
    and the CPU of the server processes serving ``database``, as last sampled."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    together = 0.0
    server: dict[int, float] = {}
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(command, env=env, stdout=out, text=True)
        deadline = time.monotonic() + 3600
        while child.poll() is None and time.monotonic() < deadline:
            together = max(together, tree_pss_mb(child.pid) + tree_pss_mb(postmaster))
            server_cpu(postmaster, database, server)
            time.sleep(0.1)
        if child.poll() is None:
            child.kill()
            sys.exit("a run took over an hour")
        out.seek(0)
        text = out.read()
    if child.returncode != 0:
        sys.exit(f"the run {args[0]} failed")
    result: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    result["together_mb"] = together
    result["server_cpu"] = sum(server.values())
    return result


def build_template(server: str, tmp: Path, env: dict[str, str], claims: int, participants: int) -> str:
    """Build the data once, in a new template database (its name returned), and the claims file in ``tmp``."""
    template = f"bench_template_{uuid.uuid4().hex[:8]}"
    admin(server, f'CREATE DATABASE "{template}"')
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "build", str(tmp)]
    start = time.perf_counter()
    built = subprocess.run(
        [*command, str(claims), str(participants)],
        env={**env, "COMMISSIONING_DATABASE_URL": with_database(server, template)},
        timeout=7200,
    )
    if built.returncode != 0:
        sys.exit("building the template database failed")
    size = (tmp / "claims.csv").stat().st_size / 1e6
    print(
        f"built: {claims:,} claims ({size:.0f} MB), {participants:,} participants "
        f"in {time.perf_counter() - start:.1f} s"
    )
    return template


def postmaster_pid(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as connection:
        row = connection.execute("SHOW data_directory").fetchone()
    assert row is not None
    return int(Path(row[0], "postmaster.pid").read_text().split()[0])


def bench_server(stack: contextlib.ExitStack) -> str:
    """The server COMMISSIONING_BENCH_POSTGRES_URL names, or a private cluster on 127.0.0.1 that ``stack`` stops."""
    server = os.environ.get("COMMISSIONING_BENCH_POSTGRES_URL")
    if not server:
        from tests.support.postgres import PrivateCluster, find_bindir

        bindir = find_bindir()
        if bindir is None:
            sys.exit("no PostgreSQL server binaries: install postgresql or set COMMISSIONING_BENCH_POSTGRES_URL")
        cluster = PrivateCluster(bindir)
        server = cluster.start()
        stack.callback(cluster.stop)
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="20,000 claims, 5,000 participants, 1 run (for CI)")
    parser.add_argument("--claims", type=int, default=FULL_CLAIMS)
    parser.add_argument("--participants", type=int, default=FULL_PARTICIPANTS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the build in DIR, or use the one kept there")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        what, rest = args.child[0], args.child[1:]
        if what == "build":
            child_build(Path(rest[0]), int(rest[1]), int(rest[2]))
            return
        result = child_import(Path(rest[0])) if what == "import" else child_floor(rest[0], Path(rest[1]))
        print(json.dumps(result))
        return
    claims, participants, repeat = args.claims, args.participants, args.repeat
    if args.smoke:
        claims, participants, repeat = 20_000, 5_000, 1
    with contextlib.ExitStack() as stack:
        if args.keep and not os.environ.get("COMMISSIONING_BENCH_POSTGRES_URL"):
            sys.exit("--keep needs COMMISSIONING_BENCH_POSTGRES_URL: a server that outlives this run")
        server = bench_server(stack)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
        tmp = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="commissioning-bench-pg-")))
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMMISSIONING_")}
        env.update(COMMISSIONING_DATA_DIR=str(tmp / "data"), PYTHONPATH=str(HERE.parent))
        kept = tmp / "template.txt"
        size_kept = f"{claims} {participants}"
        if args.keep and kept.exists() and kept.read_text().split("\n")[1:2] == [size_kept]:
            template = kept.read_text().split("\n")[0]
            upgraded = subprocess.run(  # a build kept by an older version: migrated, as `commission init` would
                [sys.executable, "-c", "from flows.common.runtime import initialise; "
                 "from flows.common.settings import load_settings; initialise(load_settings())"],
                env={**env, "COMMISSIONING_DATABASE_URL": with_database(server, template)}, timeout=600,
            )  # fmt: skip
            if upgraded.returncode != 0:
                sys.exit(f"the kept template {template} could not be migrated")
            print(f"the build kept in {tmp}: template {template}, {claims:,} claims, {participants:,} participants")
        else:
            template = build_template(server, tmp, env, claims, participants)
            if args.keep:
                kept.write_text(f"{template}\n{size_kept}\n")
            else:
                stack.callback(admin, server, f'DROP DATABASE "{template}"')
        postmaster = postmaster_pid(server)
        imports, floors = [], []
        for run in range(repeat):
            name = f"bench_run_{uuid.uuid4().hex[:8]}"
            admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            url = with_database(server, name)
            imports.append(
                run_child(
                    ["import", str(tmp / "claims.csv")], {**env, "COMMISSIONING_DATABASE_URL": url}, postmaster, name
                )
            )
            floors.append(run_child(["floor", url, str(tmp / "claims.csv")], env, postmaster, name))
            admin(server, f'DROP DATABASE "{name}"')
            i, f = imports[-1], floors[-1]
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(
                f"run {run + 1}/{repeat} (load {load}): import {i['seconds']:.2f} s (CPU: importer "
                f"{i['cpu']:.1f} s, server {i['server_cpu']:.1f} s), importer peak RSS {i['peak_mb']:.0f} MB, "
                f"all processes PSS {i['together_mb']:.0f} MB; COPY floor {f['seconds']:.2f} s",
                flush=True,
            )
            if i["rows"] != claims or f["rows"] != claims:
                sys.exit(f"rows do not add up: import {i}, floor {f}")
    report(imports, floors, claims, participants, smoke=args.smoke)


def report(imports: list[dict[str, Any]], floors: list[dict[str, Any]], claims: int, people: int, smoke: bool) -> None:
    median = statistics.median(i["seconds"] for i in imports)
    floor = statistics.median(f["seconds"] for f in floors)
    together = max(i["together_mb"] for i in imports)
    scale = FULL_CLAIMS / claims

    def verdict(ok: bool) -> str:
        return "(smoke: not judged)" if smoke else ("pass" if ok else "MISS")

    full = claims >= FULL_CLAIMS
    rows = [
        (f"import_claims through COPY, {claims:,} claims / {people:,} participants", "", "", ""),
        (
            f"  wall time, median of {len(imports)}",
            f"{median:.2f} s",
            "< 240 s at 10,000,000" if full else "",
            verdict(median < TARGET_SECONDS) if full else "",
        ),
        (
            "  scaled linearly to 10,000,000 claims",
            f"{median * scale:.0f} s",
            "< 240 s",
            verdict(median * scale < TARGET_SECONDS),
        ),
        ("  CPU of the importing processes, median", f"{statistics.median(i['cpu'] for i in imports):.1f} s", "", ""),
        ("  CPU of the server for it, median", f"{statistics.median(i['server_cpu'] for i in imports):.1f} s", "", ""),
        (  # what a quiet 2-core machine could not beat: every CPU second of both sides, shared perfectly
            "  all that CPU / 2 cores (a floor for the wall time)",
            f"{statistics.median(i['cpu'] + i['server_cpu'] for i in imports) / 2:.1f} s",
            "",
            "",
        ),
        ("  peak RSS, the importing process", f"{max(i['peak_mb'] for i in imports):.0f} MB", "", ""),
        (
            "  peak memory, all processes (PSS, sampled)",
            f"{together:.0f} MB",
            "< 2048 MB",
            verdict(together < TARGET_MB),
        ),
        ("  rows per second", f"{claims / median:,.0f}", "", ""),
        ("floor: plain COPY of the file into an unindexed table", f"{floor:.2f} s", "", ""),
        ("ratio import / COPY floor", f"{median / floor:.1f}x", "", ""),
    ]
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    print()
    for r in rows:
        print(" | ".join(f"{cell:<{w}}" for cell, w in zip(r, widths, strict=True)).rstrip())
    last = imports[-1]
    print(f"\n{last['added']:,} added, {last['rejected']:,} rejected, payable £{float(last['payable']):,.2f}")


if __name__ == "__main__":
    main()
