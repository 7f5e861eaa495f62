"""Long work started from a page runs in the background; the page it redirects to shows how far it has got.

A claims file of a million rows takes minutes to check and store: far longer than a browser or a proxy waits for
an answer. So the POST saves and checks the file, starts the work here, and redirects to a page that shows the
job's stage and refreshes itself (a meta refresh, so it needs no JavaScript), then the result. A job that ends
within ``QUICK_SECONDS`` is shown at once. The work itself is the same Prefect flow the CLI runs, so each run is
in Prefect's history; two clicks or two tabs start two jobs, and the flow's idempotency keys make the second
change nothing.

A job runs in the process that started it, which holds the newest ``KEPT`` in memory and keeps each in the
database too (flows/common/job_records.py: its start, its stage every few seconds, its end), so that with
several web processes (``uvicorn --workers N``, or hosts behind a balancer) the refresh that reaches another
process shows the same job; and a job whose process stopped is said to have stopped. Each is seen only by
the user who started it. Example: ``job = jobs.start(owner=7, title="claims.csv", work=...)``, then
``jobs.get(job.id, owner=7).stage`` is "Checking every row", later "done".
"""

import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from flows.common.errors import UserError
from flows.common.failures import without_database_urls
from flows.common.job_records import (
    HEARTBEAT_SECONDS,
    record_end,
    record_progress,
    record_start,
    recorded_job,
    runner_name,
)
from flows.common.settings import Settings
from policies.calendars import DaysUnknown

KEPT = 100
WORKERS = 2  # the machine's cores; more jobs wait their turn in order
QUICK_SECONDS = 2.0


@dataclass
class Job:
    """One piece of background work: its stage in words while it runs, then its result or its refusal."""

    id: str
    owner: int
    title: str
    stage: str = "Waiting to start"
    result: dict[str, Any] | None = None
    error: str | None = None
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def done(self) -> bool:
        return self.finished.is_set()

    def status(self) -> dict[str, Any]:
        """What the status endpoint answers."""
        state = "running" if not self.done else "failed" if self.error is not None else "done"
        result = self.result if state == "done" else None
        return {"job": self.id, "title": self.title, "state": state, "stage": self.stage, "error": self.error,
                "result": result}  # fmt: skip


Work = Callable[[Job], dict[str, Any]]


class Jobs:
    """The web process's background jobs (see the module's docstring); ``settings`` names the database where
    they are kept for the other web processes (none: in this process's memory only)."""

    def __init__(self, settings: Settings | None = None, workers: int = WORKERS) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="web-job")
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self.lock = threading.Lock()
        self.settings, self.runner = settings, runner_name()
        self.stopping = threading.Event()
        self.heart: threading.Thread | None = None

    def start(self, *, owner: int, title: str, work: Work, describe: Callable[[str], str] = str) -> Job:
        """Queue ``work``; a UserError it raises becomes the job's error (passed through ``describe``)."""
        job = Job(id=secrets.token_urlsafe(12), owner=owner, title=title)
        with self.lock:
            self.jobs[job.id] = job
            while len(self.jobs) > KEPT:
                self.jobs.popitem(last=False)
            if self.heart is None and self.settings is not None:
                self.heart = threading.Thread(target=self._beat, name="web-job-heartbeat", daemon=True)
                self.heart.start()
        self._keep(record_start, job_id=job.id, owner=owner, title=title, stage=job.stage, runner=self.runner)
        self.pool.submit(self._run, job, work, describe)
        return job

    def _run(self, job: Job, work: Work, describe: Callable[[str], str]) -> None:
        try:
            job.result = work(job)
            job.stage = "done"
        except (UserError, DaysUnknown) as exc:  # DaysUnknown: a date past the bank holidays known, said in words
            job.error, job.stage = without_database_urls(describe(str(exc))), "refused"
        except Exception as exc:  # a bug: said in words on the page, never a traceback; the work is one transaction
            logging.getLogger("commissioning.web").error("job %s failed: %s", job.title, type(exc).__name__)
            job.error = "The work failed on our side; nothing half-done was kept. Tell your administrator the time."
            job.stage = "failed"
        finally:  # kept before it is said to be finished: the next request may reach another process
            state = "done" if job.error is None else "failed"
            self._keep(record_end, job.id, state=state, stage=job.stage, error=job.error, result=job.result)
            job.finished.set()

    def _beat(self) -> None:
        """Every few seconds, each running job's stage, and so the proof that this process still runs it."""
        while not self.stopping.wait(HEARTBEAT_SECONDS):
            with self.lock:
                stages = {job.id: job.stage for job in self.jobs.values() if not job.done}
            if stages:
                self._keep(record_progress, self.runner, stages)

    def _keep(self, write: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """Write to the jobs' table; the work goes on if the database cannot take it (said in the log)."""
        if self.settings is None:
            return
        try:
            write(self.settings, *args, **kwargs)
        except Exception as exc:
            logging.getLogger("commissioning.web").warning("could not keep a job's progress: %s", type(exc).__name__)

    def get(self, job_id: str, *, owner: int) -> Job | None:
        """The job, if it exists and is this user's: from this process, or as another process keeps it."""
        job = self.jobs.get(job_id)
        if job is not None:
            return job if job.owner == owner else None
        if self.settings is None:
            return None
        kept = recorded_job(self.settings, job_id, owner)
        if kept is None:
            return None
        found = Job(id=kept.id, owner=kept.owner, title=kept.title, stage=kept.stage, result=kept.result,
                    error=kept.error)  # fmt: skip
        if kept.state != "running":
            found.finished.set()
        return found

    def shutdown(self) -> None:
        """Let running jobs finish; start no more."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.stopping.set()


def jobs_of(app: Any) -> Jobs:
    """The app's job list, made on first use."""
    with _made_lock:
        found: Jobs | None = getattr(app.state, "jobs", None)
        if found is None:
            found = app.state.jobs = Jobs(getattr(app.state, "settings", None))
        return found


_made_lock = threading.Lock()
