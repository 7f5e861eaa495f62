"""How fast does the commissioner see the board?

Targets (issue 2):
  - `commission demo` prints the board in under 30 s, Prefect start-up included,
    on its first run and again on a second run (both after `commission init`,
    as `./dev demo` does; the demo on a new data dir without init is shown too);
  - `commission --help`, `commission projects` and `commission show REF` return in
    under 1 s, because read-only paths do not import Prefect.

Each command runs in a fresh process, as a user would run it. Figures are
medians; the floors measured in the same run are a bare `python -c pass` and
`python -c "import sqlmodel, typer"` (the libraries every database command needs).

    .venv/bin/python bench/cli_latency.py            # full: 15 runs of each read command
    .venv/bin/python bench/cli_latency.py --smoke    # CI: init, one demo, 1 run of each read; not judged

At smoke size the demo runs once (after init): the demo straight onto a new data dir and the demo run again
are what tests/e2e/cycle/test_flows_cli.py runs, and each costs CI 20 to 30 s more without proving more here.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
COMMISSION = str(BIN / "commission")
READ_TARGET_S = 1.0
DEMO_TARGET_S = 30.0


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or "Traceback" in done.stdout + done.stderr:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def median_of(cmd: list[str], env: dict[str, str], runs: int) -> float:
    return statistics.median(timed(cmd, env) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="one demo, 1 run of each (CI); figures not judged")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    runs = 1 if args.smoke else args.runs

    with tempfile.TemporaryDirectory(prefix="commissioning-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMMISSIONING_") and k != "PREFECT_API_URL"}
        env.update({"COMMISSIONING_DATA_DIR": str(Path(tmp) / "data"), "COLUMNS": "160"})

        # A demo straight onto a new data dir pays for Prefect creating its own
        # database; `commission init` (which `./dev demo` runs first) does that once.
        bare_env = {**env, "COMMISSIONING_DATA_DIR": str(Path(tmp) / "bare")}
        bare_demo = None if args.smoke else timed([COMMISSION, "demo"], bare_env)
        init = timed([COMMISSION, "init"], env)
        first_demo = timed([COMMISSION, "demo"], env)
        second_demo = None if args.smoke else timed([COMMISSION, "demo"], env)

        floor = median_of([sys.executable, "-c", "pass"], env, runs)
        libs = median_of([sys.executable, "-c", "import sqlmodel, typer"], env, runs)
        reads = {
            "commission --help": median_of([COMMISSION, "--help"], env, runs),
            "commission projects": median_of([COMMISSION, "projects"], env, runs),
            "commission show YJP-2025-02": median_of([COMMISSION, "show", "YJP-2025-02"], env, runs),
        }

    demo_target = f"target < {DEMO_TARGET_S:.0f} s"
    print(f"commission init, new data dir (our schema + Prefect's DB): {init:6.2f} s")
    print(f"commission demo, first run after init:                     {first_demo:6.2f} s   {demo_target}")
    if second_demo is not None and bare_demo is not None:
        print(f"commission demo, second run:                               {second_demo:6.2f} s   {demo_target}")
        print(f"commission demo, new data dir without init:                {bare_demo:6.2f} s   {demo_target}")
    print(f"read commands, median of {runs} fresh processes each:")
    print(f"  floor: python -c pass                      {floor:6.3f} s")
    print(f"  floor: python -c 'import sqlmodel, typer'  {libs:6.3f} s")
    for name, seconds in reads.items():
        print(
            f"  {name:<40} {seconds:6.3f} s   target < {READ_TARGET_S:.0f} s   {seconds / libs:4.2f}x the library floor"
        )
    if args.smoke:
        print("(smoke run: figures are not judged)")


if __name__ == "__main__":
    main()
