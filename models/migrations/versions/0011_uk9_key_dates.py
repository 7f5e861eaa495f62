"""UK9 key dates for every contract with KPIs: derived again for the contracts already stored

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

No schema change. Until now a contract's UK9 contract performance notice key
dates (`performance_notice:k`) were derived only when it was worth over £5m,
yearly while the anniversary fell within its life. The rule is now
(policies/contracts/key_dates.py): a contract with KPIs, or over £5m with no
KPI exemption recorded, has one for each year of its life that has begun by
its last day, due on the year's anniversary or by that last day if it ends
first (at expiry, or on termination). This rewrites those key dates for every
stored contract as the rule gives them, from its start, last day
(`ends_on`), end (`ended_on`), value, KPIs and exemption; cancels the pending
reminders of dates that moved or went; and queues the contracts for the next
reminder sweep. Each year keeps its key, so a published notice still
satisfies the same year. The rule is written out here, as it stood, so that
this migration does the same whatever the code later does.

Downgrade leaves the key dates as they are: they are derived data, and the
next change to a contract derives them again.
"""
import calendar
import datetime as dt
from typing import Any

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

THRESHOLD_PENCE = 500_000_000  # £5m
MOVED = "the key date moved or no longer applies"
CONTRACT = sa.table(
    "contract",
    sa.column("id", sa.Integer),
    sa.column("start", sa.Date),
    sa.column("ends_on", sa.Date),
    sa.column("ended_on", sa.Date),
    sa.column("value_pence", sa.BigInteger),
    sa.column("kpis", sa.JSON),
)
KEY_DATE = sa.table(
    "contract_key_date",
    sa.column("contract_id", sa.Integer),
    sa.column("key", sa.String),
    sa.column("kind", sa.String),
    sa.column("due_on", sa.Date),
    sa.column("guards", sa.Date),
    sa.column("action", sa.String),
    sa.column("who", sa.String),
)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _uk9(contract_id: int, start: dt.date, end: dt.date, ended_on: dt.date | None) -> list[dict[str, Any]]:
    rows = []
    k = 1
    while (begins := _add_months(start, 12 * (k - 1))) < end:
        anniversary = _add_months(start, 12 * k)
        day = min(anniversary, end)
        if day < anniversary and ended_on is not None:
            why = f"on termination (ended {ended_on}), year {k} from {begins}"
        elif day < anniversary:
            why = f"for year {k} from {begins}, the last: due by the contract's end"
        else:
            why = f"for year {k} from {begins}"
        rows.append({
            "contract_id": contract_id, "key": f"performance_notice:{k}", "kind": "performance_notice",
            "due_on": day, "guards": None, "who": "contract manager",
            "action": f"Publish the contract performance notice (UK9) {why}: each KPI rated",
        })
        k += 1
    return rows


def upgrade() -> None:
    bind = op.get_bind()
    exempt = {r[0] for r in bind.execute(sa.text("SELECT contract_id FROM kpi_exemption"))}
    rows: list[dict[str, Any]] = []
    touched: set[int] = {r[0] for r in bind.execute(
        sa.text("SELECT DISTINCT contract_id FROM contract_key_date WHERE kind = 'performance_notice'")
    )}
    for cid, start, ends_on, ended_on, pence, kpis in bind.execute(sa.select(
        CONTRACT.c.id, CONTRACT.c.start, CONTRACT.c.ends_on, CONTRACT.c.ended_on, CONTRACT.c.value_pence,
        CONTRACT.c.kpis,
    )):
        if kpis or (pence > THRESHOLD_PENCE and cid not in exempt):
            rows += _uk9(cid, start, ends_on, ended_on)
            touched.add(cid)
    op.execute("DELETE FROM contract_key_date WHERE kind = 'performance_notice'")
    for i in range(0, len(rows), 5000):
        bind.execute(KEY_DATE.insert(), rows[i : i + 5000])
    bind.execute(sa.text(
        "UPDATE reminder SET status = 'cancelled', closed_reason = :reason "
        "WHERE status = 'pending' AND key_date_key LIKE 'performance_notice:%' "
        "AND NOT EXISTS (SELECT 1 FROM contract_key_date k WHERE k.contract_id = reminder.contract_id "
        "AND k.key = reminder.key_date_key AND k.due_on = reminder.due_on)"
    ), {"reason": MOVED})
    queued = {r[0] for r in bind.execute(sa.text("SELECT contract_id FROM reminder_replan"))}
    fresh = [{"contract_id": c} for c in sorted(touched - queued)]
    for i in range(0, len(fresh), 5000):
        bind.execute(sa.table("reminder_replan", sa.column("contract_id", sa.Integer)).insert(), fresh[i : i + 5000])


def downgrade() -> None:
    pass
