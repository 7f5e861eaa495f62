"""``/readyz`` and ``/metrics``: for a load balancer and for Prometheus, with no sign-in and nothing but counts.

``/healthz`` (app.py) answers while the process is alive. ``/readyz`` answers 200 when the checks in
flows/common/health.py pass and 503 naming the failing ones otherwise. ``/metrics`` is Prometheus's text
format (prometheus-client), from a registry of this app's own: request latency by route template (never the
path, which can hold a calendar token) and method (one outside HTTP's own set is "other", so no request can
add series without limit), and counts read from the database at each scrape.

Serve tells the app its scheduler is on by setting ``app.state.scheduler`` (flows/serve/process.py).
"""

import datetime as dt
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from flows.common.health import counts, readiness
from flows.common.settings import Settings

router = APIRouter(include_in_schema=False)

# Every label value is a new series kept for the process's life, and anyone may send any method: those outside
# HTTP's own set are counted as one "other", or a loop of made-up methods grows /metrics without limit.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"})


def scheduler_probe(app: FastAPI) -> Callable[[], bool] | None:
    """A check that serve's scheduler is running, or None when it is off."""
    scheduler = getattr(app.state, "scheduler", None)
    if scheduler is None:
        return None

    def alive() -> bool:
        thread = getattr(scheduler, "_thread", None)
        return bool(scheduler.running) and (thread is None or thread.is_alive())

    return alive


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """200 when ready; 503 with the failing checks named."""
    ready = readiness(
        request.app.state.settings, now=dt.datetime.now(dt.UTC), scheduler_alive=scheduler_probe(request.app)
    )
    return JSONResponse(ready.as_dict(), status_code=503 if ready.failing else 200)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)


class DatabaseCounts(Collector):
    """The database's counts, read at each scrape."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[Any]:
        now = dt.datetime.now(dt.UTC)
        found = counts(self.settings, now=now)
        yield GaugeMetricFamily(
            "commissioning_database_up", "1 if the database answered this scrape", found.database_up
        )
        if not found.database_up:
            return
        reminders = GaugeMetricFamily("commissioning_reminders", "Reminders by status", labels=["status"])
        for status in sorted({"pending", "sent", "failed", *found.reminders}):
            reminders.add_metric([status], found.reminders.get(status, 0))
        yield reminders
        yield GaugeMetricFamily(
            "commissioning_reminders_sent_late", "Reminders sent after their day", found.reminders_sent_late
        )
        yield GaugeMetricFamily(
            "commissioning_reminders_overdue",
            "Pending reminders over an hour past their send time",
            found.reminders_overdue,
        )
        if found.last_sweep_age_seconds is not None:
            yield GaugeMetricFamily(
                "commissioning_last_sweep_age_seconds",
                "Seconds since the last finished sweep's as-of",
                found.last_sweep_age_seconds,
            )
        yield GaugeMetricFamily("commissioning_payment_runs", "Payment runs recorded", found.payment_runs)
        yield GaugeMetricFamily("commissioning_claim_imports", "Claims files imported", found.claim_imports)


def install(app: FastAPI, settings: Settings) -> None:
    """The routes, the app's own registry and the latency middleware."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(DatabaseCounts(settings))
    latency = Histogram(
        "commissioning_request_seconds",
        "Time to answer a request, by route template",
        ["method", "route", "status"],
        registry=registry,
    )
    app.state.metrics = registry

    @app.middleware("http")
    async def timed(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = request.method if request.method in METHODS else "other"
        status = str(response.status_code) if 100 <= response.status_code <= 599 else "other"
        latency.labels(method, template, status).observe(time.perf_counter() - started)
        return response

    app.include_router(router)
