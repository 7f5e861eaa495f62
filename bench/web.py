"""The web app under load: 20 concurrent clients over loopback on the 100,000-contract portfolio.

Targets (issue 15), each page signed in as a commissioner, through `commission serve --no-scheduler` as a
council runs it:
  - the board, the contracts list (a page of 25), a contract page and due (90 days, a page of 50): median server
    time under 100 ms and 95th percentile under 300 ms. The server time is the app's own, from its Server-Timing
    header (flows/web/timing.py: sign-in check, route, page, to the first byte, waiting for a thread included);
    the latency the clients saw (queueing for the process, loopback) is reported beside it;
  - requests per second over that mix, beside a floor measured in the same run with the same 20 clients: the
    app's trivial route, /healthz (no sign-in, no database);
  - a flow started from the web (Advance on a project whose gate refuses, so every run does the same work):
    median under 0.5 s, one at a time.

The portfolio is bench/contracts_portfolio.py's (its builder, imported by the CLI as a user would).

    .venv/bin/python bench/web.py             # full: 100,000 contracts, 20 clients x 25 rounds of the 4 pages
    .venv/bin/python bench/web.py --smoke     # CI: 2,000 contracts, 20 clients x 3 rounds, figures not judged
"""

import argparse
import datetime as dt
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from contracts_portfolio import COMMISSION, create_projects, run, write_portfolio

CLIENTS = 20
PASSWORD = "bench password for the web benchmark"
READY = "commission serve: SIGTERM or Ctrl-C stops"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGE_MEDIAN_MS, PAGE_P95_MS, FLOW_MEDIAN_S = 100.0, 300.0, 0.5


def start_serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    with log.open("wb") as out:
        serve = subprocess.Popen([COMMISSION, "serve", "--no-scheduler", "--port", "0"], env=env, stdout=out,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)  # fmt: skip
    for _ in range(1800):  # up to about 3 minutes: a new Prefect database is migrated first
        text = log.read_text(encoding="utf-8", errors="replace")
        found = re.search(r"web app on (http://127\.0\.0\.1:\d+)", text)
        if READY in text and found:
            return serve, found.group(1)
        if serve.poll() is not None:
            break
        time.sleep(0.1)
    serve.kill()
    sys.exit(f"commission serve did not start:\n{log.read_text(encoding='utf-8', errors='replace')}")


def stop_serve(serve: subprocess.Popen[bytes]) -> None:
    serve.send_signal(signal.SIGTERM)
    try:
        serve.wait(timeout=60)
    except subprocess.TimeoutExpired:
        serve.kill()
        serve.wait(timeout=30)


def signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    token = CSRF.search(client.get("/sign-in").text)
    assert token is not None
    answer = client.post("/sign-in", data={"username": "bench.commissioner", "password": PASSWORD,
                                           "csrf_token": token.group(1), "next": "/"})  # fmt: skip
    if answer.status_code != 303 or answer.headers["location"].startswith("/sign-in"):
        sys.exit(f"the benchmark user could not sign in ({answer.status_code})")
    return client


SERVER_TIMING = re.compile(r"app;dur=([0-9.]+)")
Times = dict[str, list[float]]


def load(clients: list[httpx.Client], paths: Callable[[int, int], list[str]]) -> tuple[Times, Times, float]:
    """Every client requests its paths at once; the latencies and the server's times (s) by page kind, and the
    wall time."""
    times: Times = {}
    server: Times = {}
    lock, failures = threading.Lock(), []
    start = threading.Barrier(len(clients))

    def work(n: int, client: httpx.Client) -> None:
        start.wait()
        for path in paths(n, len(clients)):
            began = time.perf_counter()
            answer = client.get(path)
            took = time.perf_counter() - began
            if answer.status_code != 200:
                failures.append(f"{path}: {answer.status_code}")
            said = SERVER_TIMING.search(answer.headers.get("server-timing", ""))
            if said is None:
                failures.append(f"{path}: no Server-Timing header")
            with lock:
                times.setdefault(kind(path), []).append(took)
                server.setdefault(kind(path), []).append(float(said.group(1)) / 1000 if said else 0.0)

    threads = [threading.Thread(target=work, args=(n, c)) for n, c in enumerate(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    if failures:
        sys.exit(f"{len(failures)} request(s) failed, e.g. {failures[:3]}")
    return times, server, wall


def kind(path: str) -> str:
    if path.startswith("/contracts/"):
        return "a contract page"
    return {"/board": "the board", "/contracts": "the contracts list (page of 25)", "/due": "due (90 days, page of 50)",
            "/healthz": "/healthz (floor)"}[path.split("?")[0]]  # fmt: skip


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="2,000 contracts, 3 rounds (CI); figures not judged")
    args = parser.parse_args()
    count, rounds, flow_runs = (2_000, 3, 3) if args.smoke else (100_000, 25, 10)

    with tempfile.TemporaryDirectory(prefix="commissioning-bench-") as tmp:
        data = Path(tmp) / "data"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COMMISSIONING_", "PREFECT_"))}
        env.update({"COMMISSIONING_DATA_DIR": str(data)})
        run(["init"], env)
        os.environ["COMMISSIONING_DATA_DIR"] = str(data)
        os.environ.pop("COMMISSIONING_DATABASE_URL", None)
        from flows.accounts.users import add_user
        from flows.common.settings import load_settings
        from flows.cycle.projects import create_project

        settings = load_settings()
        create_projects(settings)
        create_project(settings, ref="WEB-1", title="Benchmark advance", service_area="Various", owner="Bench",
                       description="", stage="analyse", as_of=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
                       actor="bench")  # fmt: skip
        add_user(settings, username="bench.commissioner", display_name="Bench Commissioner", roles=["commissioner"],
                 password=PASSWORD, organisation=None, actor="bench")  # fmt: skip
        portfolio = Path(tmp) / "portfolio.csv"
        write_portfolio(portfolio, count)
        built = run(["contracts", "import", str(portfolio), "--as-of", "2026-11-23"], env)
        print(f"portfolio: {count:,} contracts imported in {built:.1f} s", flush=True)

        serve, base = start_serve(env, Path(tmp) / "serve.log")
        try:
            clients = [signed_in(base) for _ in range(CLIENTS)]
            pages_of = contract_pages(count)
            floor_times, _, floor_wall = load(clients, lambda n, _: ["/healthz"] * (4 * rounds))
            times, server, wall = load(clients, lambda n, _: [p for r in range(rounds) for p in pages_of(n, r)])
            flow = advance_times(clients[0], flow_runs)
        finally:
            for c in locals().get("clients", []):
                c.close()
            stop_serve(serve)

    print(f"\n{CLIENTS} concurrent clients over loopback, {count:,} contracts"
          + (" (smoke: figures not judged)" if args.smoke else ""))  # fmt: skip
    print(f"  server time (the app's own, Server-Timing): median target < {PAGE_MEDIAN_MS:.0f} ms, "
          f"p95 target < {PAGE_P95_MS:.0f} ms; the clients' latency beside it")  # fmt: skip
    for name, values in times.items():
        ms = [1000 * v for v in server[name]]
        print(f"  {name:34s} server median {statistics.median(ms):7.1f} ms  p95 {p95(ms):7.1f} ms   "
              f"client median {1000 * statistics.median(values):7.1f} ms  p95 {1000 * p95(values):7.1f} ms"
              f"   n={len(values)}")  # fmt: skip
    served = sum(len(v) for v in times.values())
    floor = len(floor_times["/healthz (floor)"]) / floor_wall
    print(f"  requests per second, the 4 pages: {served / wall:8.1f}   floor (/healthz, same clients): {floor:8.1f}"
          f"   ({100 * served / wall / floor:.0f}% of the floor)")  # fmt: skip
    print(f"  a flow from the web (Advance):    median {statistics.median(flow):6.3f} s (target < {FLOW_MEDIAN_S})"
          f"   n={len(flow)}")  # fmt: skip


def contract_pages(count: int) -> Callable[[int, int], list[str]]:
    def pages(n: int, r: int) -> list[str]:
        i = (n * 7919 + r * 104729) % count  # spread over the portfolio
        page = 1 + (n + r * CLIENTS) % max(1, count // 25)
        return ["/board", f"/contracts?page={page}", f"/contracts/C-{i:06d}", "/due?days=90"]

    return pages


def advance_times(client: httpx.Client, runs: int) -> list[float]:
    """POST Advance (the stage flow runs and its gate refuses), one at a time; the first is a warm-up."""
    times = []
    for n in range(runs + 1):
        token = CSRF.search(client.get("/projects/WEB-1").text)
        assert token is not None
        began = time.perf_counter()
        answer = client.post("/projects/WEB-1/advance", data={"csrf_token": token.group(1), "to": "", "reason": ""})
        took = time.perf_counter() - began
        if answer.status_code not in (200, 303):
            sys.exit(f"Advance failed: {answer.status_code} {answer.text[-500:]}")
        if n:
            times.append(took)
    return times


if __name__ == "__main__":
    main()
