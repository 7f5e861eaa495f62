"""Settings, read once from the environment at the edge of the program.

COMMISSIONING_DATA_DIR      where the SQLite database and Prefect's home live
                            (default: $XDG_DATA_HOME/commissioning, else ~/.local/share/commissioning)
COMMISSIONING_DATABASE_URL  e.g. postgresql://user@host/db (default: SQLite in the data dir)
COMMISSIONING_POLICY_FILE   your stage-gate policy (default: <data dir>/gates.toml if present)
COMMISSIONING_TIMEZONE      the organisation's zone (default: Europe/London)
COMMISSIONING_ACTOR         who is acting, for the audit log (default: the login name)
COMMISSIONING_REMINDER_POLICY  your reminder policy (default: <data dir>/reminders.toml if present)
COMMISSIONING_SAMPLING_POLICY  your post-payment sampling policy (default: <data dir>/sampling.toml if present)
COMMISSIONING_APPRISE_CONFIG   apprise YAML or text config with tags (default: <data dir>/apprise.yml
                            if present; with none, reminders print to the console)
COMMISSIONING_BACKUP_DIR    where serve's nightly backups go (default: <data dir>/backups)
COMMISSIONING_BACKUP_KEEP   how many nightly backups serve keeps (default: 7; 0 turns them off)
"""

import getpass
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flows.common.errors import UserError
from policies.dates import DEFAULT_ZONE


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    policy_file: Path | None
    timezone: str
    actor: str
    reminder_policy_file: Path | None = None
    apprise_config: Path | None = None
    performance_policy_file: Path | None = None
    sampling_policy_file: Path | None = None
    policy_file_from: str = "COMMISSIONING_POLICY_FILE"  # where policy_file was named, for messages
    backup_dir: Path | None = None  # None: <data dir>/backups
    backup_keep: int = 7

    @property
    def backups(self) -> Path:
        return self.backup_dir or self.data_dir / "backups"

    @property
    def prefect_home(self) -> Path:
        return self.data_dir / "prefect"

    @property
    def uses_default_sqlite(self) -> bool:
        return self.database_url == default_database_url(self.data_dir)


_WRITABLE: set[Path] = set()


def check_data_dir(data_dir: Path) -> None:
    """Refuse, in words and at once, a data directory that cannot be created or written.

    Checked before SQLite or Prefect use it: SQLite would say only "unable to open database file", and Prefect
    would wait two minutes for a server that cannot start. A real write is tried, because as root a directory's
    mode bits say nothing (only a read-only or immutable one stops the write).
    """
    if data_dir in _WRITABLE:
        return
    # One probe per thread: two requests checking at once in one process must not remove each other's probe.
    probe = data_dir / f".write-check-{os.getpid()}-{threading.get_ident()}"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise UserError(f"the data directory {data_dir} is not writable: {exc.strerror or exc}") from None
    _WRITABLE.add(data_dir)


def default_data_dir(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "commissioning"


def default_database_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'commissioning.db'}"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings; a time zone that does not exist is refused here, in words."""
    env = os.environ if environ is None else environ
    zone = env.get("COMMISSIONING_TIMEZONE") or DEFAULT_ZONE
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(
            f"COMMISSIONING_TIMEZONE {zone!r} is not a time zone; use a name such as Europe/London"
        ) from None
    data_dir = Path(env.get("COMMISSIONING_DATA_DIR") or default_data_dir(env)).expanduser().resolve()
    policy = env.get("COMMISSIONING_POLICY_FILE")
    policy_file = Path(policy).expanduser() if policy else None
    policy_file_from = "COMMISSIONING_POLICY_FILE"
    if policy_file is None and (data_dir / "gates.toml").is_file():
        policy_file, policy_file_from = data_dir / "gates.toml", "its place in the data directory"
    reminders = _file_setting(env, "COMMISSIONING_REMINDER_POLICY", data_dir / "reminders.toml")
    apprise = _file_setting(env, "COMMISSIONING_APPRISE_CONFIG", data_dir / "apprise.yml")
    return Settings(
        data_dir=data_dir,
        database_url=env.get("COMMISSIONING_DATABASE_URL") or default_database_url(data_dir),
        policy_file=policy_file,
        timezone=zone,
        actor=env.get("COMMISSIONING_ACTOR") or _login_name(),
        reminder_policy_file=reminders,
        apprise_config=apprise,
        performance_policy_file=_file_setting(env, "COMMISSIONING_PERFORMANCE_POLICY", data_dir / "performance.toml"),
        sampling_policy_file=_file_setting(env, "COMMISSIONING_SAMPLING_POLICY", data_dir / "sampling.toml"),
        policy_file_from=policy_file_from,
        backup_dir=Path(env["COMMISSIONING_BACKUP_DIR"]).expanduser() if env.get("COMMISSIONING_BACKUP_DIR") else None,
        backup_keep=_backup_keep(env.get("COMMISSIONING_BACKUP_KEEP")),
    )


def _backup_keep(text: str | None) -> int:
    if not text:
        return 7
    try:
        keep = int(text)
    except ValueError:
        keep = -1
    if not 0 <= keep <= 1000:
        raise UserError(f"COMMISSIONING_BACKUP_KEEP {text!r} is not a number of backups from 0 to 1000")
    return keep


def _file_setting(env: Mapping[str, str], name: str, default: Path) -> Path | None:
    """A file named in the environment (checked where it is read), else the default file if it exists."""
    given = env.get(name)
    if given:
        return Path(given).expanduser()
    return default if default.is_file() else None


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
