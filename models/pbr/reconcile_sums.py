"""The sums reconciliation reads from a contract's claims and the ledger, in a few SQL statements.

Every figure is summed by the database (whole pence); Python only folds the days of ``claim_sums`` into
periods. What each statement relies on (migrations 0020 and 0024):
- ``claim_sums``: the ledger's index of claims (``ix_pbr_ledger_claim``) carries the amount, so what runs
  accrued for a claim is read from the index alone. On SQLite the claims are read in the order they were
  stored (the rows between the first and last claim: ``contract_claims``), so that the look-ups step along that
  index instead of jumping about it (at 1,000,000 claims, 0.5 s against 2.3 s of CPU in claim-reference
  order), and their own figures by day and outcome from ``ix_pbr_claim_sums`` in that order, unsorted (0024).
  On PostgreSQL the claims are read as before (its planner chooses how).
- ``top_participant``: the claims clawed back (none, or a handful) are found once, by their payers (the running
  totals name them) in the ledger's payer index, instead of two look-ups in the ledger for every claim. On SQLite
  the accepted claims' sums by participant are read from ``ix_pbr_claim_participant`` alone, already grouped
  (0026; at 1,000,000 claims 0.31 s of CPU against 0.68 s reading every claim's row and grouping them apart);
  on PostgreSQL the claims are read as ``claim_sums`` reads them.
- ``reason_sums``: on SQLite from ``ix_pbr_claim_reasons`` alone, which holds only the claims with reasons,
  already grouped (0026; 0.03 s against 0.27 s reading every claim's row); on PostgreSQL as ``claim_sums``.
"""

from typing import Any

from sqlmodel import Session

from models.pbr.bulk import driver_rows
from models.pbr.claims import WITH_REASONS
from models.pbr.ledger import CLAWBACK, NOT_ACCRUALS, OUTCOME
from models.pbr.totals import payers_with

ACCEPTED = "('accepted', 'partly_accepted')"

# (day, outcome, claims, rejected claims, claimed, payable, capped, outstanding, accrued): outstanding is what is
# accepted and has no accrual yet; accrued what runs accrued for the claims (every accrual for a claim is for its
# outcome). Grouped by day and outcome alone (13,495 groups at 1,000,000 claims); the reasons are summed apart
# (``reason_sums``). PostgreSQL: one statement (measured at 1,000,000 claims: 5.0 s), the fence (OFFSET 0) keeping
# the look-up one a claim, not one for each use of ``accrued``.
_POSTGRES = f"""
    SELECT achieved_on, outcome, COUNT(*), SUM(CASE WHEN verdict = 'rejected' THEN 1 ELSE 0 END),
           SUM(claimed_pence), SUM(payable_pence), SUM(capped_pence),
           SUM(CASE WHEN verdict IN {ACCEPTED} AND accrued IS NULL THEN payable_pence ELSE 0 END),
           SUM(COALESCE(accrued, 0))
    FROM (
        SELECT c.achieved_on, c.outcome, c.verdict, c.claimed_pence, c.payable_pence, c.capped_pence,
               (SELECT SUM(l.amount_pence) FROM pbr_ledger l WHERE l.claim_id = c.id AND l.kind = 'accrual')
               AS accrued
        FROM pbr_claim c WHERE c.contract_id = :c OFFSET 0
    ) AS c
    GROUP BY achieved_on, outcome
"""
# SQLite, in two statements, neither sorting every claim (that sort was half of the one statement's 3.6 s of CPU
# at 1,000,000 claims): the claims' own figures read in day and outcome order from ix_pbr_claim_sums alone
# (migration 0024; 0.35 s), as if every accepted claim were accrued at its payable pence and none outstanding;
# then the claims for which that is not so (accepted and not accrued yet, or accrued at other than their payable
# pence: none once every run has paid, every accepted claim before the first), found with one look-up a claim in
# the ledger's claim index, the claims read in stored order (1.3 s), and only those grouped.
_SQLITE_OWN = f"""
    SELECT achieved_on, outcome, COUNT(*), SUM(CASE WHEN verdict = 'rejected' THEN 1 ELSE 0 END),
           SUM(claimed_pence), SUM(payable_pence), SUM(capped_pence),
           SUM(CASE WHEN verdict IN {ACCEPTED} THEN payable_pence ELSE 0 END)
    FROM pbr_claim INDEXED BY ix_pbr_claim_sums WHERE contract_id = :c
    GROUP BY achieved_on, outcome
"""
# (day, outcome, outstanding, accrued less the accepted pence taken as accrued), over the claims unlike the rest.
# The fence (LIMIT -1) keeps the look-up one a claim; ``+`` keeps the range off the claims' index, whose reference
# order reads the table at random.
_UNLIKE = f"""
    SELECT achieved_on, outcome, SUM(outstanding), SUM(accrued - assumed) FROM (
        SELECT achieved_on, outcome,
               CASE WHEN accepted AND accrued IS NULL THEN payable_pence ELSE 0 END AS outstanding,
               COALESCE(accrued, 0) AS accrued, CASE WHEN accepted THEN payable_pence ELSE 0 END AS assumed
        FROM (
            SELECT c.achieved_on, c.outcome, c.payable_pence, c.verdict IN {ACCEPTED} AS accepted,
                   (SELECT SUM(l.amount_pence) FROM pbr_ledger l WHERE l.claim_id = c.id AND l.kind = 'accrual')
                   AS accrued
            FROM pbr_claim c WHERE {{claims}} LIMIT -1
        ) AS c
    ) AS c
    WHERE outstanding <> 0 OR accrued <> assumed
    GROUP BY achieved_on, outcome
"""
_BY_RANGE = "c.id BETWEEN :first AND :last AND +c.contract_id = :c"
_BY_CONTRACT = "c.contract_id = :c"  # on SQLite, where other contracts' claims fill most of the range; PostgreSQL
_SQLITE_UNLIKE = _UNLIKE.format(claims=_BY_RANGE)
_SQLITE_UNLIKE_SPREAD = _UNLIKE.format(claims=_BY_CONTRACT)


Claims = tuple[str, dict[str, Any]] | None  # a WHERE clause over ``pbr_claim c``, its parameters: ``contract_claims``


def contract_claims(session: Session, contract_id: int) -> Claims:
    """Where a contract's claims are read from, for a WHERE clause over ``pbr_claim c`` (with its parameters); None
    when there are no claims at all. On SQLite, the rows in stored order (``+`` keeps it off the claims' index,
    whose reference order reads the table at random) between the table's first and last claim, read from the
    ends of the table alone; ``claim_sums`` narrows it to the contract's own first and last claim, or to its
    index, when its counts show that other contracts' claims fill most of that range (``_narrowed``). Not a count of
    the contract's claims here: that read the whole contract's index (0.17 s of CPU at 1,000,000 claims), and the
    claims' own sums count them. On PostgreSQL, by the contract (its planner chooses)."""
    if session.connection().dialect.name == "postgresql":
        return _BY_CONTRACT, {"c": contract_id}
    # each from one end of the table: SQLite reads both ends only for a MIN and a MAX apart, not in one SELECT
    [(first, last)] = driver_rows(session, "SELECT (SELECT MIN(id) FROM pbr_claim), (SELECT MAX(id) FROM pbr_claim)")
    if first is None:
        return None
    return _BY_RANGE, {"c": contract_id, "first": first, "last": last}


def _narrowed(session: Session, claims: tuple[str, dict[str, Any]], count: int) -> tuple[str, dict[str, Any]]:
    """``claims`` for a contract of ``count`` claims, unless more than half its range is other contracts' claims:
    then the range between the contract's own first and last claim, or, if other contracts' claims (their imports
    between this one's) fill most of that too, the contract's index."""
    where, params = claims
    if where != _BY_RANGE or params["last"] - params["first"] + 1 <= 2 * count:
        return claims
    contract_id = params["c"]
    [(first, last)] = driver_rows(
        session, "SELECT MIN(id), MAX(id) FROM pbr_claim WHERE contract_id = :c", c=contract_id
    )
    if first is None or last - first + 1 > 2 * count:
        return _BY_CONTRACT, {"c": contract_id}
    return _BY_RANGE, {"c": contract_id, "first": first, "last": last}


def claim_sums(session: Session, claims: Claims) -> list[tuple[Any, str, int, int, int, int, int, int, int]]:
    """A contract's claims summed by achieved day (the driver's form: ISO text on SQLite) and outcome: (day, outcome,
    claims, rejected claims, claimed, payable, capped, outstanding, accrued), in pence."""
    if claims is None:
        return []
    where, params = claims
    if session.connection().dialect.name == "postgresql":
        rows = driver_rows(session, _POSTGRES, **params)
        return [(day, outcome, *(int(n) for n in sums)) for day, outcome, *sums in rows]
    own = [
        (day, outcome, *(int(n) for n in sums))
        for day, outcome, *sums in driver_rows(session, _SQLITE_OWN, c=params["c"])
    ]
    if not own:
        return []
    where, params = _narrowed(session, claims, sum(row[2] for row in own))
    unlike = _SQLITE_UNLIKE if where == _BY_RANGE else _SQLITE_UNLIKE_SPREAD
    unlike_rows = driver_rows(session, unlike, **params)
    apart = {(day, outcome): (int(outstanding), int(more)) for day, outcome, outstanding, more in unlike_rows}
    out = []
    for day, outcome, count, rejected, claimed, payable, capped, accepted in own:
        outstanding, more = apart.get((day, outcome), (0, 0))
        out.append((day, outcome, count, rejected, claimed, payable, capped, outstanding, accepted + more))
    return out


def _by_index(session: Session, claims: tuple[str, dict[str, Any]], index: str) -> tuple[str, dict[str, Any], str]:
    """A statement's WHERE over ``pbr_claim c``, its parameters and its INDEXED BY clause: on SQLite the contract's
    claims in ``index`` (a partial index of the claims the statement sums, migration 0026), named, so that the
    planner cannot take the table's id range or another index of the contract; on PostgreSQL ``claims``."""
    if session.connection().dialect.name == "postgresql":
        return *claims, ""
    return _BY_CONTRACT, {"c": claims[1]["c"]}, f"INDEXED BY {index}"


def reason_sums(session: Session, claims: Claims) -> list[tuple[str, int, int]]:
    """A contract's claims with reasons (a few in ten), summed by their reasons as written (comma-separated codes):
    (reasons, claims, claimed less payable less capped), in pence."""
    if claims is None:
        return []
    where, params, index = _by_index(session, claims, "ix_pbr_claim_reasons")
    sql = f"""
        SELECT reasons, COUNT(*), SUM(claimed_pence - payable_pence - capped_pence) FROM pbr_claim c {index}
        WHERE {where} AND c.{WITH_REASONS} GROUP BY reasons
        """
    return [(reasons, int(n), int(value)) for reasons, n, value in driver_rows(session, sql, **params)]


def top_sql(claims: str, index: str = "") -> str:
    """``top_participant``'s statement, over the claims ``claims`` picks (``_BY_RANGE`` or ``_BY_CONTRACT``), read
    from the index ``index`` names (an INDEXED BY clause) if any."""
    return f"""
        SELECT participant, SUM(payable_pence) AS total FROM pbr_claim c {index}
        WHERE {claims} AND c.verdict IN {ACCEPTED}
          AND c.id NOT IN (
              SELECT l.claim_id FROM pbr_ledger l
              WHERE l.contract_id = :c AND l.payer IN ({payers_with(CLAWBACK, OUTCOME)})
                AND l.item = '{OUTCOME}' AND l.kind = '{CLAWBACK}' AND l.{NOT_ACCRUALS} AND l.claim_id IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM pbr_ledger r WHERE r.reverses_id = l.id))
        GROUP BY participant ORDER BY total DESC, participant LIMIT 1
        """


def top_participant(session: Session, claims: Claims) -> tuple[str, int] | None:
    """The participant with the most accepted, net of the claims clawed back (and not reversed), in pence; ties
    go to the first by reference. The clawbacks (none, or a few) are found by their payers (``payers_with``)."""
    if claims is None:
        return None
    where, params, index = _by_index(session, claims, "ix_pbr_claim_participant")
    rows = list(driver_rows(session, top_sql(where, index), **params))
    return next(((who, int(total)) for who, total in rows), None)
