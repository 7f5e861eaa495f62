"""Start the parts of ``commission serve`` in order, wait for SIGTERM or Ctrl-C, stop them in reverse.

Order, and why:

1. refuse bad input first: the reminder policy and apprise file (if the scheduler runs), a taken port
   (the web socket is bound now), another serve with a scheduler on the same database (``scheduler_lock``);
2. the Prefect API, on loopback; then PREFECT_API_URL points this process's own flows at it, before
   anything imports Prefect (a PREFECT_API_URL already set means a Prefect server of your own: none
   is started, and the flows use that one);
3. the web app, built after that, so the flows it starts run on the same API;
4. the scheduler, whose catch-up run starts at once;
5. ``<data dir>/serve.json``, last, so a CLI command only finds an API that is up.

Stopping runs the same list backwards: the discovery file goes first, so no new command picks an API
that is about to stop; the web app finishes its requests; the scheduler lets a running job finish; the
Prefect API stops last, once nothing of serve needs it. If the Prefect API or the web app dies on its
own, serve stops the rest and exits 1 (for systemd to restart it): half a serve would seem up and do nothing.
"""

import datetime as dt
import json
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, TextIO

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.serve.discovery import remove_discovery, write_discovery

WebAppFactory = Callable[[Settings], Any]
Hint = Callable[[Settings], str | None]


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    web: bool = True
    scheduler: bool = True
    sweep_at: dt.time = dt.time(7, 0)
    every_minutes: int = 5


class Say:
    """One line of serve's output at a time, flushed (it is read by systemd's journal or a log file)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lock = threading.Lock()

    def __call__(self, line: str, **fields: Any) -> None:
        with self.lock:
            self.out.write(line + (" " + json.dumps(fields, default=str) if fields else "") + "\n")
            self.out.flush()


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` for the block (from the main thread only, where signals arrive)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run(
    settings: Settings,
    options: ServeOptions,
    *,
    out: TextIO,
    web_app: WebAppFactory | None = None,
    first_admin_hint: Hint | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Run serve until SIGTERM/SIGINT (or ``stop`` is set); a UserError if a part cannot start or dies."""
    from flows.common.prefect_check import api_address
    from flows.common.processes import use_scratch
    from flows.common.runtime import database_label, start_prefect
    from flows.reminders.scheduler import scheduler_lock
    from flows.serve.prefect_api import PrefectApi
    from flows.serve.web_server import WebServer

    say = Say(out)
    stop = stop or threading.Event()
    notifier = _check_scheduler_files(settings) if options.scheduler else None
    if options.web and web_app is None:
        raise UserError("this installation has no web app; run serve with --no-web")
    # One scheduler per database, so the lock only when this serve runs one: any number of
    # `serve --no-scheduler` web processes (hosts, ports) share one database beside it (README "Beyond one machine").
    held = scheduler_lock(settings) if options.scheduler else nullcontext("no scheduler here, so no lock")
    with stop_on_signals(stop), held as lock, ExitStack() as parts:
        web = WebServer(options.host, options.port) if options.web else None
        if web is not None:
            parts.callback(web.stop)
        say(f"commission serve: running against {database_label(settings)} ({lock})")
        use_scratch(settings.data_dir)  # before the API starts, so its scratch is under the data dir too
        api: PrefectApi | None = None
        external = os.environ.get("PREFECT_API_URL")
        if external:
            say(f"commission serve: flows use the Prefect API named by PREFECT_API_URL ({api_address(external)})")
        else:
            api = PrefectApi(settings)
            parts.callback(api.stop)
            os.environ["PREFECT_API_URL"] = api.start(stop=stop)
        if not stop.is_set():  # else asked to stop while the API was starting
            if api is not None:
                say(f"commission serve: Prefect API on {api.url} (loopback only; flow commands here use it)")
            start_prefect(settings)
            _start_the_rest(settings, options, parts, say=say, web=web, web_app=web_app, notifier=notifier)
            hint = first_admin_hint(settings) if first_admin_hint is not None and options.web else None
            if hint:
                say(f"commission serve: {hint}")
            write_discovery(
                settings.data_dir,
                prefect_api_url=api.url if api is not None else None,
                web_url=web.url if web is not None else None,
            )
            parts.callback(remove_discovery, settings.data_dir)
            say("commission serve: SIGTERM or Ctrl-C stops")
            _wait(stop, api, web)
        say("commission serve: stopping; letting a running job finish")
    say("commission serve: stopped")


def _start_the_rest(
    settings: Settings,
    options: ServeOptions,
    parts: ExitStack,
    *,
    say: Say,
    web: Any,
    web_app: WebAppFactory | None,
    notifier: str | None,
) -> None:
    """The web app, then the scheduler; each one's stop goes on ``parts``."""
    from flows.reminders.scheduler import start_scheduler

    app = None
    if web is not None and web_app is not None:
        app = web_app(settings)
        web.start(app)  # after start_prefect: flows the app starts run on serve's API
        say(f"commission serve: web app on {web.url}" + _exposure(options.host))
    else:
        say("commission serve: web app off (--no-web)")
    if options.scheduler:
        scheduler = start_scheduler(settings, sweep_at=options.sweep_at, every_minutes=options.every_minutes, say=say)
        parts.callback(scheduler.shutdown, wait=True)
        if app is not None:
            app.state.scheduler = scheduler  # /readyz checks it is alive
        say(
            f"commission serve: scheduler: daily sweep {options.sweep_at:%H:%M} and delivery every "
            f"{options.every_minutes} min ({settings.timezone}); notifier: {notifier}; "
            + (
                f"nightly backup 02:30 to {settings.backups}, keeping {settings.backup_keep}"
                if settings.backup_keep
                else "nightly backup off (COMMISSIONING_BACKUP_KEEP=0)"
            )
        )
    else:
        say("commission serve: scheduler off (--no-scheduler)")


def _wait(stop: threading.Event, api: Any, web: Any) -> None:
    while not stop.wait(1.0):
        code = api.exited() if api is not None else None
        if code is not None:
            raise UserError(f"Prefect's API stopped on its own (exit {code}); {api.log_hint()}; serve stopped")
        if web is not None and web.failed():
            raise UserError("the web app stopped on its own (see the lines above); serve stopped")


def _check_scheduler_files(settings: Settings) -> str:
    """Refuse a bad reminder policy or apprise file before anything starts; describe the notifier."""
    from flows.reminders.delivery import notifier_for
    from flows.reminders.policy import reminder_policy

    reminder_policy(settings)
    return str(notifier_for(settings).describe())


def _exposure(host: str) -> str:
    if host in ("127.0.0.1", "::1", "localhost"):
        return " (loopback; put a TLS proxy in front to reach it from other machines)"
    return " (reachable from other machines: serve it only behind a TLS proxy)"
