"""Long work started from a page runs in the background; the page it redirects to shows how far it has got.

A claims file of a million rows takes minutes to check and store: far longer than a browser or a proxy waits for
an answer. So the POST saves and checks the file, starts the work here, and redirects to a page that shows the
job's stage and refreshes itself (a meta refresh, so it needs no JavaScript), then the result. A job that ends
within ``QUICK_SECONDS`` is shown at once. The work itself is the same Prefect flow the CLI runs, so each run is
in Prefect's history; two clicks or two tabs start two jobs, and the flow's idempotency keys make the second
change nothing.

Jobs live in the web process's memory (serve runs one), the newest ``KEPT`` of them; each is seen only by the
user who started it. Example: ``job = jobs.start(owner=7, title="claims.csv", work=...)``, then
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
    """The web process's background jobs (see the module's docstring)."""

    def __init__(self, workers: int = WORKERS) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="web-job")
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self.lock = threading.Lock()

    def start(self, *, owner: int, title: str, work: Work, describe: Callable[[str], str] = str) -> Job:
        """Queue ``work``; a UserError it raises becomes the job's error (passed through ``describe``)."""
        job = Job(id=secrets.token_urlsafe(12), owner=owner, title=title)
        with self.lock:
            self.jobs[job.id] = job
            while len(self.jobs) > KEPT:
                self.jobs.popitem(last=False)
        self.pool.submit(self._run, job, work, describe)
        return job

    def _run(self, job: Job, work: Work, describe: Callable[[str], str]) -> None:
        try:
            job.result = work(job)
            job.stage = "done"
        except UserError as exc:
            job.error, job.stage = without_database_urls(describe(str(exc))), "refused"
        except Exception as exc:  # a bug: said in words on the page, never a traceback; the work is one transaction
            logging.getLogger("commissioning.web").error("job %s failed: %s", job.title, type(exc).__name__)
            job.error = "The work failed on our side; nothing half-done was kept. Tell your administrator the time."
            job.stage = "failed"
        finally:
            job.finished.set()

    def get(self, job_id: str, *, owner: int) -> Job | None:
        """The job, if it exists and is this user's."""
        job = self.jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    def shutdown(self) -> None:
        """Let running jobs finish; start no more."""
        self.pool.shutdown(wait=True, cancel_futures=True)


def jobs_of(app: Any) -> Jobs:
    """The app's job list, made on first use."""
    with _made_lock:
        found: Jobs | None = getattr(app.state, "jobs", None)
        if found is None:
            found = app.state.jobs = Jobs()
        return found


_made_lock = threading.Lock()
