"""How long does a CLI command that runs a flow take while `commission serve` is up?

Target (issue 15): median under 3 s with serve up, against about 8 s without it, when every
command starts Prefect's temporary server of its own. Measured in the same run, on the same
data dir: each flow command without serve, then with `commission serve --port 0` up (web app,
scheduler and its Prefect API), and two floors: `commission --help` and `commission projects`
(a read command: the database, no Prefect). Last, the advance flow run inside one process that
has Prefect loaded already, on serve's API: what a flow started from the web app costs (target
median under 0.5 s), without the web request around it.

The commands run with serve up are given PREFECT_SERVER_EPHEMERAL_ENABLED=false, so a command
that did not find serve's API fails the benchmark instead of quietly timing the old path.

    .venv/bin/python bench/serve_latency.py            # full: 7 runs of each
    .venv/bin/python bench/serve_latency.py --smoke    # CI: 1 run of each flow command, figures not judged
"""

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
COMMISSION = str(BIN / "commission")
TARGET_S = 3.0
IN_PROCESS_TARGET_S = 0.5
# A flow run inside a process that has Prefect loaded already and uses serve's API, as the web app
# inside serve runs one: the advance flow, once to warm up, then timed.
IN_PROCESS = """
import datetime as dt, statistics, sys, time
from flows.common.settings import load_settings
from flows.common.runtime import start_prefect
settings = load_settings()
start_prefect(settings)
from flows.cycle.gates import check_advance
from flows.cycle.stage_flows import run_stage_flow
def once():
    now = dt.datetime.now(dt.UTC)
    request = check_advance(settings, ref="FAM-2026-01", to=None, reason=None, as_of=now)
    start = time.perf_counter()
    result = run_stage_flow(request, as_of=now, actor="bench")
    assert result["outcome"] == "refused", result
    return time.perf_counter() - start
once()
print(statistics.median(once() for _ in range(int(sys.argv[1]))))
"""
READY = "commission serve: SIGTERM or Ctrl-C stops"
PROJECT = ["project", "add", "--ref", "FAM-2026-01", "--title", "Family hubs", "--area", "Children and families",
           "--owner", "Priya Shah", "--as-of", "2026-01-05"]  # fmt: skip
FLOWS = {
    "commission advance FAM-2026-01": ["advance", "FAM-2026-01"],
    "commission sweep --dry-run": ["sweep", "--dry-run"],
}


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [COMMISSION, *args], env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or "Traceback" in done.stdout + done.stderr:
        sys.exit(f"commission {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def median_of(args: list[str], env: dict[str, str], runs: int) -> float:
    return statistics.median(timed(args, env) for _ in range(runs))


def start_serve(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        serve = subprocess.Popen(
            [COMMISSION, "serve", "--port", "0"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace")
        if READY in text and re.search(r"run at .*\"planned\"", text):  # up, and its catch-up run done
            return serve
        if serve.poll() is not None:
            break
        time.sleep(0.2)
    serve.kill()
    sys.exit(f"commission serve did not start:\n{log.read_text(encoding='utf-8', errors='replace')}")


def stop_serve(serve: subprocess.Popen[bytes]) -> None:
    serve.send_signal(signal.SIGTERM)
    try:
        serve.wait(timeout=60)
    except subprocess.TimeoutExpired:
        serve.kill()
        serve.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="1 run of each flow command (CI); figures not judged")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    flow_runs = 1 if args.smoke else args.runs
    floor_runs = 3 if args.smoke else args.runs

    with tempfile.TemporaryDirectory(prefix="commissioning-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COMMISSIONING_", "PREFECT_"))}
        env.update({"COMMISSIONING_DATA_DIR": str(Path(tmp) / "data"), "COLUMNS": "160"})
        timed(["init"], env)
        timed(PROJECT, env)

        without = {name: median_of(cmd, env, flow_runs) for name, cmd in FLOWS.items()}
        serve = start_serve(env, Path(tmp) / "serve.log")
        try:
            served_env = {**env, "PREFECT_SERVER_EPHEMERAL_ENABLED": "false"}  # serve's API, or fail
            served = {name: median_of(cmd, served_env, flow_runs) for name, cmd in FLOWS.items()}
            in_process = float(
                subprocess.run(
                    [sys.executable, "-c", IN_PROCESS, str(3 if args.smoke else 15)],
                    env=served_env,
                    capture_output=True,
                    text=True,
                    timeout=300,
                    check=True,
                ).stdout
            )
            floors = {
                "commission --help": median_of(["--help"], env, floor_runs),
                "commission projects": median_of(["projects"], env, floor_runs),
            }
        finally:
            stop_serve(serve)

    print(f"flow commands, median of {flow_runs} fresh process(es) each:")
    for name in FLOWS:
        print(f"  {name:<34} no serve (temporary server) {without[name]:6.2f} s")
        print(f"  {name:<34} serve up                    {served[name]:6.2f} s   target < {TARGET_S:.0f} s")
    print(
        f"  the advance flow in a process with Prefect loaded (as the web app runs one), serve up: "
        f"{in_process:6.3f} s   target < {IN_PROCESS_TARGET_S} s"
    )
    print(f"floors, median of {floor_runs}:")
    for name, seconds in floors.items():
        print(f"  {name:<34} {seconds:6.2f} s")
    if args.smoke:
        print("(smoke run: figures are not judged)")


if __name__ == "__main__":
    main()
