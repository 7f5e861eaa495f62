"""The running totals (models/pbr/totals.py) against the ledger they are kept beside: what each should hold, summed
by ``GROUP BY`` from the entries (the ledger is the record), and what it holds."""

import datetime as dt
from typing import Any

from sqlalchemy import inspect, text

from models.pbr.totals import NET_OUTCOME

TOTALS = (
    "SELECT contract_id, payer, kind, item, outcome, pence, entries, last_id FROM pbr_ledger_total",
    "SELECT contract_id, payer, kind, item, COALESCE(outcome, ''), SUM(amount_pence), COUNT(*), MAX(id) "
    "FROM pbr_ledger GROUP BY contract_id, payer, kind, item, COALESCE(outcome, '')",
)
PARTICIPANTS = (
    "SELECT contract_id, participant, pence, entries FROM pbr_participant_paid",
    "SELECT contract_id, participant, SUM(amount_pence), COUNT(*) FROM pbr_ledger "
    f"WHERE participant IS NOT NULL AND {NET_OUTCOME} GROUP BY contract_id, participant",
)

# reconciliation reads "for a claim" from the totals' outcome (models.pbr.totals.sums_by_kind): so an entry has an
# outcome exactly when it has a claim
UNMATCHED = "SELECT id, claim_id, outcome FROM pbr_ledger WHERE (claim_id IS NULL) <> (outcome IS NULL)"

# reconcile takes every claim with accruals as marked accrued (``accrued_run_id``), and every accrued claim not
# marked ``accrued_differs`` as accrued at its accepted pence (models/pbr/reconcile_sums.py, migration 0030): the
# claims for which that is not so. (A mark with no accruals is left to tests/integration/pbr/test_pbr_due_marker.py,
# which makes one to stand for another run's.)
ACCRUALS = "(SELECT SUM(l.amount_pence) FROM pbr_ledger l WHERE l.claim_id = c.id AND l.kind = 'accrual')"
UNMARKED = (
    f"SELECT id, ref, accrued_run_id, {ACCRUALS}, verdict, payable_pence FROM pbr_claim c "
    f"WHERE ({ACCRUALS} IS NOT NULL AND accrued_run_id IS NULL) OR (accrued_run_id IS NOT NULL AND NOT accrued_differs "
    f"AND {ACCRUALS} <> CASE WHEN verdict IN ('accepted', 'partly_accepted') THEN payable_pence ELSE 0 END)"
)


# the claims' sums kept beside them on PostgreSQL by triggers (migration 0031), against the claims: a group whose
# claims have all gone may stay, at nothing
KEPT = (
    (
        "pbr_claim_sum",
        "SELECT contract_id, achieved_on, outcome, claims, rejected, claimed_pence, payable_pence, capped_pence, "
        "accepted_pence FROM pbr_claim_sum WHERE NOT (claims = 0 AND rejected = 0 AND claimed_pence = 0 "
        "AND payable_pence = 0 AND capped_pence = 0 AND accepted_pence = 0)",
        "SELECT contract_id, achieved_on, outcome, COUNT(*), SUM(CASE WHEN verdict = 'rejected' THEN 1 ELSE 0 END), "
        "SUM(claimed_pence), SUM(payable_pence), SUM(capped_pence), "
        "SUM(CASE WHEN verdict IN ('accepted', 'partly_accepted') THEN payable_pence ELSE 0 END) "
        "FROM pbr_claim GROUP BY contract_id, achieved_on, outcome",
    ),
    (
        "pbr_claim_participant_sum",
        "SELECT contract_id, participant, claims, accepted_pence FROM pbr_claim_participant_sum "
        "WHERE NOT (claims = 0 AND accepted_pence = 0)",
        "SELECT contract_id, participant, COUNT(*), SUM(payable_pence) FROM pbr_claim "
        "WHERE verdict IN ('accepted', 'partly_accepted') GROUP BY contract_id, participant",
    ),
    (
        "pbr_claim_reason_sum",
        "SELECT contract_id, reasons, claims, rejected_pence FROM pbr_claim_reason_sum "
        "WHERE NOT (claims = 0 AND rejected_pence = 0)",
        "SELECT contract_id, reasons, COUNT(*), SUM(claimed_pence - payable_pence - capped_pence) FROM pbr_claim "
        "WHERE reasons <> '' GROUP BY contract_id, reasons",
    ),
)


def disagreements(connection: Any) -> dict[str, tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]]:
    """Per totals table, the rows it holds that the ledger does not give, and those the ledger gives that it does
    not hold (both empty when they agree), the ledger's entries whose outcome does not say whether they are for
    a claim, the claims whose accruals reconcile would misread (``UNMARKED``, from migration 0030), and the claims'
    sums kept beside them where they are kept (``KEPT``, PostgreSQL from migration 0031); nothing for
    a database without the tables (below migration 0021)."""
    if not inspect(connection).has_table("pbr_participant_paid"):
        return {}
    found = {}
    for name, (kept, summed) in (("pbr_ledger_total", TOTALS), ("pbr_participant_paid", PARTICIPANTS)):
        have, want = (_rows(connection, sql) for sql in (kept, summed))
        if have != want:
            found[name] = (have - want, want - have)
    if "accrued_differs" in {column["name"] for column in inspect(connection).get_columns("pbr_claim")}:
        unmarked = {tuple(row) for row in connection.execute(text(UNMARKED))}
        if unmarked:
            found["pbr_claim accrued at other than accepted and not marked, or accrued and not marked so"] = (
                unmarked,
                set(),
            )
    for name, kept, summed in KEPT:
        if inspect(connection).has_table(name):
            have, want = (_rows(connection, sql) for sql in (kept, summed))
            if have != want:
                found[name] = (have - want, want - have)
    unmatched = {tuple(row) for row in connection.execute(text(UNMATCHED))}
    if unmatched:
        found["pbr_ledger entries with a claim and no outcome, or an outcome and no claim"] = (unmatched, set())
    return found


def _rows(connection: Any, sql: str) -> set[tuple[Any, ...]]:
    """The rows as plain values: PostgreSQL's SUM of whole pence is a Decimal."""
    return {tuple(v if isinstance(v, str | dt.date) else int(v) for v in row) for row in connection.execute(text(sql))}
