"""The sums reconciliation reads from a contract's claims and the ledger, each in one SQL statement.

Every figure is summed by the database (whole pence); Python only folds the days of ``claim_sums`` into
periods. What each statement relies on (migration 0020):
- ``claim_sums``: the ledger's index of claims (``ix_pbr_ledger_claim``) carries the amount, so what runs
  accrued for a claim is read from the index alone. On SQLite the claims are read in the order they were
  stored (the rows between the contract's first and last claim), so that the look-ups step along that
  index instead of jumping about it (at 1,000,000 claims, 0.5 s against 2.3 s of CPU in claim-reference
  order). On PostgreSQL the claims are read as before (its planner chooses how).
- ``top_participant``: the claims clawed back (none, or a handful) are found once, by their payers (the running
  totals name them) in the ledger's payer index, instead of two look-ups in the ledger for every claim; the claims
  are read as ``claim_sums`` reads them.
"""

from typing import Any

from sqlmodel import Session

from models.pbr.bulk import driver_rows
from models.pbr.ledger import CLAWBACK, OUTCOME
from models.pbr.totals import payers_with

ACCEPTED = "('accepted', 'partly_accepted')"

# (day, outcome, claims, rejected claims, claimed, payable, capped, outstanding, accrued): outstanding is what is
# accepted and has no accrual yet; accrued what runs accrued for the claims (every accrual for a claim is for its
# outcome). Grouped by day and outcome alone (13,495 groups at 1,000,000 claims, not 53,339 with verdict and reasons:
# the sort of every claim by two keys, not four); the reasons are summed apart (``reason_sums``). The fence (LIMIT
# -1 on SQLite, OFFSET 0 on PostgreSQL) keeps the look-up one a claim, not one for each use of ``accrued``. SQLite
# reads the contract's claims in stored order (``+`` keeps it off the claims' index); PostgreSQL as before 0020
# (measured at 1,000,000 claims: 5.0 s), its look-up now from the widened index.
_CLAIM_SUMS = f"""
    SELECT achieved_on, outcome, COUNT(*), SUM(CASE WHEN verdict = 'rejected' THEN 1 ELSE 0 END),
           SUM(claimed_pence), SUM(payable_pence), SUM(capped_pence),
           SUM(CASE WHEN verdict IN {ACCEPTED} AND accrued IS NULL THEN payable_pence ELSE 0 END),
           SUM(COALESCE(accrued, 0))
    FROM (
        SELECT c.achieved_on, c.outcome, c.verdict, c.claimed_pence, c.payable_pence, c.capped_pence,
               (SELECT SUM(l.amount_pence) FROM pbr_ledger l WHERE l.claim_id = c.id AND l.kind = 'accrual')
               AS accrued
        FROM pbr_claim c WHERE {{claims}}
    ) AS c
    GROUP BY achieved_on, outcome
"""
_BY_RANGE = "c.id BETWEEN :first AND :last AND +c.contract_id = :c"
_BY_CONTRACT = "c.contract_id = :c"  # on SQLite, where other contracts' claims fill most of the range; PostgreSQL
_SQLITE = _CLAIM_SUMS.format(claims=f"{_BY_RANGE} LIMIT -1")
_SQLITE_SPREAD = _CLAIM_SUMS.format(claims=f"{_BY_CONTRACT} LIMIT -1")
_POSTGRES = _CLAIM_SUMS.format(claims=f"{_BY_CONTRACT} OFFSET 0")


Claims = tuple[str, dict[str, Any]] | None  # a WHERE clause over ``pbr_claim c``, its parameters: ``contract_claims``


def contract_claims(session: Session, contract_id: int) -> Claims:
    """Where a contract's claims are read from, for a WHERE clause over ``pbr_claim c`` (with its parameters); None
    for a contract with no claims. Found once for reconcile's three statements (the count reads the contract's index:
    0.15 s at 1,000,000 claims). On SQLite, the rows between its first and last claim in stored order (``+`` keeps it
    off the claims' index, whose reference order reads the table at random) unless other contracts' claims fill most
    of that range (their imports between this one's); on PostgreSQL, by the contract (its planner chooses)."""
    if session.connection().dialect.name == "postgresql":
        return _BY_CONTRACT, {"c": contract_id}
    [(first, last, count)] = driver_rows(
        session, "SELECT MIN(id), MAX(id), COUNT(*) FROM pbr_claim WHERE contract_id = :c", c=contract_id
    )
    if first is None:
        return None
    if last - first + 1 > 2 * count:  # more than half the range is other contracts' claims
        return _BY_CONTRACT, {"c": contract_id}
    return _BY_RANGE, {"c": contract_id, "first": first, "last": last}


def claim_sums(session: Session, claims: Claims) -> list[tuple[Any, str, int, int, int, int, int, int, int]]:
    """A contract's claims summed by achieved day (the driver's form: ISO text on SQLite) and outcome: (day, outcome,
    claims, rejected claims, claimed, payable, capped, outstanding, accrued), in pence."""
    if claims is None:
        return []
    where, params = claims
    if session.connection().dialect.name == "postgresql":
        sql = _POSTGRES
    else:
        sql = _SQLITE if where == _BY_RANGE else _SQLITE_SPREAD
    rows = driver_rows(session, sql, **params)
    return [(day, outcome, *(int(n) for n in sums)) for day, outcome, *sums in rows]


def reason_sums(session: Session, claims: Claims) -> list[tuple[str, int, int]]:
    """A contract's claims with reasons (a few in ten), summed by their reasons as written (comma-separated codes):
    (reasons, claims, claimed less payable less capped), in pence."""
    if claims is None:
        return []
    where, params = claims
    sql = f"""
        SELECT reasons, COUNT(*), SUM(claimed_pence - payable_pence - capped_pence) FROM pbr_claim c
        WHERE {where} AND c.reasons <> '' GROUP BY reasons
        """
    return [(reasons, int(n), int(value)) for reasons, n, value in driver_rows(session, sql, **params)]


def top_sql(claims: str) -> str:
    """``top_participant``'s statement, over the claims ``claims`` picks (``_BY_RANGE`` or ``_BY_CONTRACT``)."""
    return f"""
        SELECT participant, SUM(payable_pence) AS total FROM pbr_claim c
        WHERE {claims} AND c.verdict IN {ACCEPTED}
          AND c.id NOT IN (
              SELECT l.claim_id FROM pbr_ledger l
              WHERE l.contract_id = :c AND l.payer IN ({payers_with(CLAWBACK, OUTCOME)})
                AND l.item = '{OUTCOME}' AND l.kind = '{CLAWBACK}' AND l.claim_id IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM pbr_ledger r WHERE r.reverses_id = l.id))
        GROUP BY participant ORDER BY total DESC, participant LIMIT 1
        """


def top_participant(session: Session, claims: Claims) -> tuple[str, int] | None:
    """The participant with the most accepted, net of the claims clawed back (and not reversed), in pence; ties
    go to the first by reference. The clawbacks (none, or a few) are found by their payers (``payers_with``)."""
    if claims is None:
        return None
    where, params = claims
    rows = list(driver_rows(session, top_sql(where), **params))
    return next(((who, int(total)) for who, total in rows), None)
