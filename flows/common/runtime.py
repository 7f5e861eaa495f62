"""The composition root: the engine, the gate policy and Prefect's environment.

Nothing here connects at import time. Read-only commands use ``database``;
only commands that run flows call ``configure_prefect`` (before Prefect is
imported) and ``prefect_run_settings``.
"""

import os
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DBAPIError

from flows.common.errors import UserError
from flows.common.settings import Settings, check_data_dir
from models.db import make_engine, normalise_url, safe_url, schema_revision, scrub_secrets
from models.revision import SCHEMA_REVISION

if TYPE_CHECKING:  # loaded by ``gate_policy`` alone: a payment run or reconcile needs no stage gates (0.1 s)
    from policies.cycle.gates import GatePolicy


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


SUPPORTED_DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}
URL_EXAMPLE = "sqlite:////path/to/commissioning.db or postgresql://user:password@host/dbname"


def engine(settings: Settings, *, create: bool = False) -> Engine:
    """The process's engine for the configured database (built on first use).

    Only a command that makes a database (``create``: init, demo, restore) may bring a SQLite file, or the data
    directory, into being: SQLite creates a missing file on first connect, so a mistyped COMMISSIONING_DATA_DIR
    would otherwise leave a new empty folder and database behind and answer "nothing found".
    """
    check_database_url(settings.database_url)
    if not create:
        refuse_missing_sqlite_file(settings.database_url)
    if settings.uses_default_sqlite:
        check_data_dir(settings.data_dir)
    return _engine_for(settings.database_url)


def refuse_missing_sqlite_file(url: str) -> None:
    """Refuse a SQLite database file that does not exist (PostgreSQL never creates a database on connect)."""
    parsed = normalise_url(url)
    name = str(parsed.database or "")
    if parsed.get_backend_name() != "sqlite" or name in ("", ":memory:") or name.startswith("file:"):
        return
    if not Path(name).exists():
        raise UserError(f"no database at {name}; run `commission init` first")


def check_database_url(url: str) -> None:
    """Refuse a URL we cannot use, in words, without echoing a password."""
    try:
        parsed = normalise_url(url)
        parsed.port  # noqa: B018  (a non-numeric port raises here)
    except (ArgumentError, ValueError):
        raise UserError(f"COMMISSIONING_DATABASE_URL is not a database URL; use {URL_EXAMPLE}") from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if SUPPORTED_DRIVERS.get(backend) != driver:
        raise UserError(
            f"COMMISSIONING_DATABASE_URL {safe_url(parsed)} uses {backend}+{driver}, which is not supported; "
            f"use {URL_EXAMPLE} (PostgreSQL through psycopg 3)"
        )


def database_label(settings: Settings) -> str:
    """The configured database's URL as the engine uses it, any password masked: for what a command prints."""
    return safe_url(engine(settings).url)


def database(settings: Settings, *, require_schema: bool = True, create: bool = False) -> Engine:
    """The engine, after checking the database answers and has the current schema (``create``: see ``engine``)."""
    eng = engine(settings, create=create)
    try:
        revision = schema_revision(eng)
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        reason = scrub_secrets(reason, settings.database_url)  # drivers echo DSNs and host names
        raise UserError(f"cannot reach the database at {safe_url(eng.url)}: {reason}") from None
    if require_schema and revision is None:
        raise UserError(f"the database at {safe_url(eng.url)} has no schema yet; run `commission init` first")
    if require_schema and revision is not None and revision != SCHEMA_REVISION:
        _refuse_unknown(eng, revision)
    if require_schema and revision != SCHEMA_REVISION:
        raise UserError(
            f"the database at {safe_url(eng.url)} is at schema {revision}, this version needs "
            f"{SCHEMA_REVISION}; run `commission init` to migrate it"
        )
    return eng


def _refuse_unknown(eng: Engine, revision: str) -> None:
    """Refuse a database migrated by a newer version of this product (or to a schema it never had): no
    `commission init` of this version can migrate it, and none should try."""
    if revision.isdigit() and int(revision) > int(SCHEMA_REVISION):
        raise UserError(
            f"the database at {safe_url(eng.url)} is at schema {revision}, newer than this version's "
            f"{SCHEMA_REVISION}: a newer version of commissioning migrated it; use that version (or a newer one)"
        )
    if not revision.isdigit():
        raise UserError(
            f"the database at {safe_url(eng.url)} is at schema {revision!r}, which no version of commissioning "
            "made; it is not this product's database"
        )


def prepare_local_prefect(settings: Settings) -> bool:
    """Create Prefect's own local database now, if flows will use one; return True if it was created.

    Without PREFECT_API_URL, flows run on Prefect's temporary local server, which
    on a new data dir first migrates its database: about 15 s on 2 cores. That is
    installation work, so ``commission init`` does it once, not the first flow.
    """
    configure_prefect(settings)
    if os.environ.get("PREFECT_API_URL") or (settings.prefect_home / "prefect.db").exists():
        return False
    import asyncio

    from prefect.server.database import provide_database_interface

    asyncio.run(provide_database_interface().create_db())
    return True


def initialise(settings: Settings) -> tuple[Engine, str | None, str]:
    """Apply every pending migration; return the engine and the revisions before and after."""
    eng = database(settings, require_schema=False, create=True)
    before = schema_revision(eng)
    if before is not None:
        _refuse_unknown(eng, before)
    from models.migrate import MigrationRefused, upgrade  # Alembic is only needed here

    try:
        before = upgrade(eng)  # as read under the migration's lock: another init may have run since the read above
    except MigrationRefused as exc:
        raise UserError(f"the schema was not migrated: {exc}") from None
    return eng, before, schema_revision(eng) or ""


# --------------------------------------------------------------------------- gate policy

DEFAULT_POLICY_NAME = "policies/gates.toml (shipped defaults)"


def gate_policy(settings: Settings) -> "GatePolicy":
    """The shipped gates, overridden gate by gate by the user's policy file, if any."""
    from policies.cycle.gate_policy import build_gate_policy, parse_policy_text

    documents = []
    default_text = files("policies").joinpath("gates.toml").read_text(encoding="utf-8")
    doc, problems = parse_policy_text(default_text, DEFAULT_POLICY_NAME)
    if doc is not None:
        documents.append((DEFAULT_POLICY_NAME, doc))
    if settings.policy_file is not None:
        path = settings.policy_file
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UserError(f"policy file {path} does not exist (named by {settings.policy_file_from})") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"policy file {path} cannot be read: {exc}") from None
        user_doc, user_problems = parse_policy_text(text, str(path))
        problems += user_problems
        if user_doc is not None:
            documents.append((str(path), user_doc))
    policy, more = build_gate_policy(documents) if not problems else (None, [])
    problems += more
    if policy is None:
        raise UserError("the stage-gate policy is not valid: " + "; ".join(str(p) for p in problems))
    return policy


# --------------------------------------------------------------------------- Prefect


def configure_prefect(settings: Settings) -> None:
    """Set Prefect's environment; must run before ``import prefect``.

    PREFECT_HOME lives under our data dir; nothing phones home. Without a
    PREFECT_API_URL the flows run on Prefect's temporary local server, whose
    task-run recorder can drop queued records with a traceback at shutdown
    (shared/PITFALLS.md), so it is turned off there: flow runs and our own
    gate decisions are still recorded.
    """
    check_data_dir(settings.data_dir)
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    os.environ["PREFECT_HOME"] = str(settings.prefect_home)
    os.environ["DO_NOT_TRACK"] = "1"
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    if not os.environ.get("PREFECT_API_URL"):
        os.environ.setdefault("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED", "false")
        os.environ.setdefault("PREFECT_UI_ENABLED", "false")
        # Prefect's default is 20 s, but creating its database on a new data dir
        # takes about 15 s on 2 cores; a slower machine must not fail the first run.
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


PREFECT_CHOICE = "COMMISSIONING_PREFECT"  # "temporary" forces the temporary server even while serve is up


def start_prefect(settings: Settings) -> None:
    """``configure_prefect`` for a command that runs flows, choosing which Prefect API its flows use:

    1. ``PREFECT_API_URL``, if set: a real Prefect server, or the one serve started for itself; it must answer
       its health check within a few seconds (flows/common/prefect_check.py), or the command ends there;
    2. else the API of a ``commission serve`` running on this data dir, if it answers at once
       (flows/serve/discovery.py), unless ``COMMISSIONING_PREFECT=temporary``;
    3. else Prefect's temporary server, started here (once, however many threads ask), which dies with this
       process, even on SIGKILL (flows/common/processes.py).

    Scratch goes under the data dir in every case.
    """
    from flows.common.prefect_check import check_prefect_api
    from flows.common.processes import guard_prefect_server, start_temporary_server, use_scratch

    refuse_missing_sqlite_file(settings.database_url)  # before Prefect's home and scratch are made in the data dir
    choice = os.environ.get(PREFECT_CHOICE, "").strip().lower()
    if choice not in ("", "serve", "temporary"):
        raise UserError(f"{PREFECT_CHOICE} {choice!r} is not a choice; use serve (the default) or temporary")
    named = os.environ.get("PREFECT_API_URL", "").strip()
    if not named and choice != "temporary":
        from flows.serve.discovery import serve_prefect_api

        url = serve_prefect_api(settings.data_dir)
        if url is not None:
            os.environ["PREFECT_API_URL"] = url
    configure_prefect(settings)
    if named:  # a server of the user's own: one that is down is said in one line now, not a traceback later
        check_prefect_api(named)
    use_scratch(settings.data_dir)
    if not os.environ.get("PREFECT_API_URL"):
        guard_prefect_server()
        start_temporary_server()
