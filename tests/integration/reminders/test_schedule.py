"""The embedded scheduler: cron times in the organisation's zone across the clock changes, and one per database."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.reminders.scheduler import build_scheduler, check_sweep_time, scheduler_lock

LONDON = ZoneInfo("Europe/London")


def nothing() -> None:
    """A job that does nothing: these tests read the triggers and never let a job run."""


def fire_times(settings: Settings, job_id: str, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    scheduler = build_scheduler(settings, nothing, sweep_at=dt.time(7, 0), every_minutes=5)
    scheduler.start(paused=True)  # paused: the jobs get their defaults but nothing runs
    try:
        [job] = [j for j in scheduler.get_jobs() if j.id == job_id]
    finally:
        scheduler.shutdown(wait=False)
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 6 * 3600)
    times: list[dt.datetime] = []
    previous = None
    now = start
    for _ in range(100_000):  # bounded: a year of daily runs, or a few days of 5-minute passes
        fire = job.trigger.get_next_fire_time(previous, now)
        if fire is None or fire >= end:
            break
        times.append(fire)
        previous, now = fire, fire + dt.timedelta(seconds=1)
    return times


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_daily_sweep_runs_at_seven_local_every_day_of_the_year(settings: Settings) -> None:
    times = fire_times(
        settings, "daily-sweep", dt.datetime(2026, 1, 1, tzinfo=LONDON), dt.datetime(2027, 1, 1, tzinfo=LONDON)
    )
    assert len(times) == 365
    assert all((t.astimezone(LONDON).hour, t.astimezone(LONDON).minute) == (7, 0) for t in times)
    by_day = {t.astimezone(LONDON).date(): t.astimezone(dt.UTC).hour for t in times}
    assert by_day[dt.date(2026, 3, 28)] == 7 and by_day[dt.date(2026, 3, 29)] == 6  # GMT, then BST
    assert by_day[dt.date(2026, 10, 24)] == 6 and by_day[dt.date(2026, 10, 25)] == 7  # BST, then GMT


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("change", [dt.date(2026, 3, 29), dt.date(2026, 10, 25)])
def test_delivery_passes_skip_one_to_two_am_and_never_fire_twice(settings: Settings, change: dt.date) -> None:
    start = dt.datetime.combine(change - dt.timedelta(days=1), dt.time(0), tzinfo=LONDON)
    end = dt.datetime.combine(change + dt.timedelta(days=1), dt.time(23, 59), tzinfo=LONDON)
    times = fire_times(settings, "delivery-pass", start, end)
    local = [t.astimezone(LONDON) for t in times]
    assert not [t for t in local if t.hour == 1]
    instants = [t.astimezone(dt.UTC) for t in times]
    assert instants == sorted(set(instants))  # no repeats, even in October's repeated hour
    assert {t.minute % 5 for t in local} == {0}
    # Three days, each 23 hours of passes every 5 minutes (12 an hour).
    assert len(times) == 3 * 23 * 12


@pytest.mark.parametrize("value", ["01:00", "01:59"])
def test_a_sweep_time_in_the_repeated_hour_is_refused(value: str) -> None:
    with pytest.raises(UserError, match="skipped or repeated"):
        check_sweep_time(value)
    assert check_sweep_time("07:00") == dt.time(7, 0)


def test_only_one_scheduler_may_hold_a_database(settings: Settings) -> None:
    with scheduler_lock(settings) as held:
        assert held
        with pytest.raises(UserError, match="already running"), scheduler_lock(settings):
            pass
    with scheduler_lock(settings):  # released on leaving: the next one starts
        pass
