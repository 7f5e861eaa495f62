"""The sums reconciliation reads from a contract's claims and the ledger, in a few SQL statements.

Every figure is summed by the database (whole pence); Python only folds the days of ``claim_sums`` into
periods. What each statement relies on (migrations 0020, 0024, 0030 and 0031):
- ``claim_sums``: not one look-up in the ledger for every claim (on PostgreSQL 12.5 s at 1,000,000 claims, 41.5 s
  at 2,000,000), but the claims' own sums by day and outcome taken as if every accepted claim were accrued at its
  payable pence, then only the claims for which that is not so: the unpaid, from the index of the due claims, and
  the few marked where they come to be accrued at other than that (``pbr_claim.accrued_differs``: a run's cap, a
  re-decision), each looked up in the ledger's index of claims (``ix_pbr_ledger_claim``, which carries the
  amount). On SQLite the own sums come from ``ix_pbr_claim_sums`` alone, in day and outcome order (0024); on
  PostgreSQL from the sums kept beside the claims by triggers (``pbr_claim_sum``, 0031: models/pbr/claim_sums_kept.py).
- ``top_participant``: the claims clawed back (none, or a handful) are found once, by their payers (the running
  totals name them) in the ledger's payer index, instead of two look-ups in the ledger for every claim. On SQLite
  the accepted claims' sums by participant are read from ``ix_pbr_claim_participant`` alone, already grouped
  (0026; at 1,000,000 claims 0.31 s of CPU against 0.68 s reading every claim's row and grouping them apart);
  on PostgreSQL from the accepted sums kept by participant (``pbr_claim_participant_sum``, 0031), the top read
  from their index, against the few participants whose claims were clawed back (``KEPT_TOP``).
- ``reason_sums``: on SQLite from ``ix_pbr_claim_reasons`` alone, which holds only the claims with reasons,
  already grouped (0026; 0.03 s against 0.27 s reading every claim's row); on PostgreSQL from the sums kept by
  reasons (``pbr_claim_reason_sum``, 0031).
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from models.pbr.bulk import driver_rows, planned_rows
from models.pbr.claim_sums_kept import KEPT_OWN, KEPT_REASONS, KEPT_TOP
from models.pbr.claims import DIFFERS, UNPAID, WITH_REASONS
from models.pbr.ledger import CLAWBACK, NOT_ACCRUALS, OUTCOME
from models.pbr.totals import payers_with

ACCEPTED = "('accepted', 'partly_accepted')"

# (day, outcome, claims, rejected claims, claimed, payable, capped, accepted) by day and outcome (13,495 groups at
# 1,000,000 claims): the claims' own figures, as if every accepted claim were accrued at its payable pence and none
# outstanding. SQLite reads them in day and outcome order from ix_pbr_claim_sums alone (migration 0024; 0.35 s),
# unsorted; PostgreSQL reads them kept (``KEPT_OWN``, migration 0031), not from here.
_OWN = f"""
    SELECT achieved_on, outcome, COUNT(*), SUM(CASE WHEN verdict = 'rejected' THEN 1 ELSE 0 END),
           SUM(claimed_pence), SUM(payable_pence), SUM(capped_pence),
           SUM(CASE WHEN verdict IN {ACCEPTED} THEN payable_pence ELSE 0 END)
    FROM pbr_claim {{index}} WHERE contract_id = :c
    GROUP BY achieved_on, outcome
"""
# Then the claims for which that is not so, without reading the rest (migration 0030):
# - the accepted claims no run has accrued (outstanding, and not accrued), from the index of the due claims
#   (``ix_pbr_claim_due``) alone: (day, outcome, payable). A claim is marked accrued (``accrued_run_id``) in the
#   transaction of the run that writes its accruals, and only a run writes accruals for a claim;
# - the accrued claims marked as maybe accrued at other than they are accepted for (``DIFFERS``: cut at a cap by
#   their run, re-decided since), a few, each looked up in the ledger: (day, outcome, outstanding, accrued less
#   the accepted pence taken as accrued). Every other accrued claim's accruals are its accepted pence.
_UNPAID = f"""
    SELECT achieved_on, outcome, SUM(payable_pence) FROM pbr_claim c {{index}} WHERE c.contract_id = :c AND {UNPAID}
    GROUP BY achieved_on, outcome
"""
_DIFFERING = f"""
    SELECT achieved_on, outcome, SUM(outstanding), SUM(accrued - assumed) FROM (
        SELECT achieved_on, outcome,
               CASE WHEN accepted AND accrued IS NULL THEN payable_pence ELSE 0 END AS outstanding,
               COALESCE(accrued, 0) AS accrued, CASE WHEN accepted THEN payable_pence ELSE 0 END AS assumed
        FROM (
            SELECT c.achieved_on, c.outcome, c.payable_pence, c.verdict IN {ACCEPTED} AS accepted,
                   (SELECT SUM(l.amount_pence) FROM pbr_ledger l WHERE l.claim_id = c.id AND l.kind = 'accrual')
                   AS accrued
            FROM pbr_claim c {{index}} WHERE c.contract_id = :c AND c.{DIFFERS} AND c.accrued_run_id IS NOT NULL
        ) AS c
    ) AS c
    WHERE outstanding <> 0 OR accrued <> assumed
    GROUP BY achieved_on, outcome
"""
_BY_CONTRACT = "c.contract_id = :c"
# PostgreSQL: the unpaid and the marked claims read from their partial indexes, whatever the claims' statistics say
# (a run's approval does not refresh them: they count every claim no run had accrued, as models.pbr.claims notes)
_BY_INDEX = ("enable_seqscan", "enable_bitmapscan", "jit")


def mark_differing(session: Session, contract_id: int, run_id: int, refs: Iterable[str]) -> None:
    """At a run's approval, after it marked the claims it accrued: mark those of them it cut at a cap (``refs``,
    its summary's capped claims; none, or a few) as accrued at other than their payable pence (``DIFFERS``)."""
    wanted = sorted(set(refs))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        names = ", ".join(f":r{i}" for i in range(len(chunk)))
        sql = (
            f"UPDATE pbr_claim SET {DIFFERS} = :t WHERE contract_id = :c AND ref IN ({names}) AND accrued_run_id = :run"
        )
        params = {"t": True, "c": contract_id, "run": run_id, **{f"r{i}": ref for i, ref in enumerate(chunk)}}
        session.connection().execute(text(sql), params)


Claims = tuple[str, dict[str, Any]] | None  # a WHERE clause over ``pbr_claim c``, its parameters: ``contract_claims``


def contract_claims(session: Session, contract_id: int) -> Claims:
    """Where a contract's claims are read from: a WHERE clause over ``pbr_claim c`` and its parameters, by the
    contract (each statement names the index it reads on SQLite)."""
    return _BY_CONTRACT, {"c": contract_id}


def claim_sums(session: Session, claims: Claims) -> list[tuple[Any, str, int, int, int, int, int, int, int]]:
    """A contract's claims summed by achieved day (the driver's form: ISO text on SQLite) and outcome: (day, outcome,
    claims, rejected claims, claimed, payable, capped, outstanding, accrued), in pence. Three statements, none of
    them a look-up in the ledger for every claim: the claims' own sums, the unpaid, and the few marked as accrued
    at other than their accepted pence (``_OWN``, ``_UNPAID``, ``_DIFFERING``)."""
    if claims is None:
        return []
    contract = claims[1]["c"]
    sqlite = session.connection().dialect.name == "sqlite"
    # on SQLite by name: with no statistics its planner takes ix_pbr_claim_sums for each, and reads every claim
    indexes = ("ix_pbr_claim_sums", "ix_pbr_claim_due", "ix_pbr_claim_differs")
    own_index, due_index, differs_index = (f"INDEXED BY {name}" if sqlite else "" for name in indexes)
    own_sql = _OWN.format(index=own_index) if sqlite else KEPT_OWN  # PostgreSQL: the sums kept (migration 0031)
    own = [(day, outcome, *(int(n) for n in sums)) for day, outcome, *sums in driver_rows(session, own_sql, c=contract)]
    if not own:
        return []
    apart: dict[tuple[Any, str], list[int]] = {}
    for day, outcome, unpaid in planned_rows(session, _UNPAID.format(index=due_index), off=_BY_INDEX, c=contract):
        apart[day, outcome] = [int(unpaid), -int(unpaid)]
    differing = _DIFFERING.format(index=differs_index)
    for day, outcome, outstanding, more in planned_rows(session, differing, off=_BY_INDEX, c=contract):
        sums = apart.setdefault((day, outcome), [0, 0])
        sums[0] += int(outstanding)
        sums[1] += int(more)
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
    if session.connection().dialect.name == "postgresql":  # from the sums kept (migration 0031)
        return [
            (reasons, int(n), int(value)) for reasons, n, value in driver_rows(session, KEPT_REASONS, c=claims[1]["c"])
        ]
    where, params, index = _by_index(session, claims, "ix_pbr_claim_reasons")
    sql = f"""
        SELECT reasons, COUNT(*), SUM(claimed_pence - payable_pence - capped_pence) FROM pbr_claim c {index}
        WHERE {where} AND c.{WITH_REASONS} GROUP BY reasons
        """
    return [(reasons, int(n), int(value)) for reasons, n, value in driver_rows(session, sql, **params)]


def top_sql(claims: str, index: str = "") -> str:
    """``top_participant``'s statement, over the claims ``claims`` picks (``_BY_CONTRACT``), read
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
    if session.connection().dialect.name == "postgresql":  # from the sums kept (migration 0031)
        rows = list(planned_rows(session, KEPT_TOP, off=_BY_INDEX, c=claims[1]["c"]))
        return next(((who, int(total)) for who, total in rows), None)
    where, params, index = _by_index(session, claims, "ix_pbr_claim_participant")
    rows = list(driver_rows(session, top_sql(where, index), **params))
    return next(((who, int(total)) for who, total in rows), None)
