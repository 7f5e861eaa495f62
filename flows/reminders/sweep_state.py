"""How far the reminder sweep has got: the last day swept, for commands that must not sweep twice."""

import datetime as dt

from flows.common.runtime import database
from flows.common.settings import Settings
from models.db import unit_of_work
from models.reminders import last_swept_through as _last_swept_through


def last_swept_through(settings: Settings) -> dt.date | None:
    """The last day the reminder sweep has covered, or None if it has never run."""
    with unit_of_work(database(settings)) as session:
        return _last_swept_through(session=session)
