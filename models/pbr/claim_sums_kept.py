"""The claims' sums kept beside them on PostgreSQL (migration 0031), as reconcile reads them.

Triggers on ``pbr_claim`` keep, in the transaction that writes the claims (every writer: an import's ``COPY``, a
re-decision, any other), their sums by (contract, achieved day, outcome) in ``pbr_claim_sum``, their accepted pence
by (contract, participant) in ``pbr_claim_participant_sum``, and those with reasons by (contract, reasons) in
``pbr_claim_reason_sum``. Reconcile reads these instead of every claim of the contract: at 1,000,000 claims
13,495 rows and one against 1,000,000, twice. SQLite keeps none: there reconcile reads its covering indexes of the
claims (models/pbr/reconcile_sums.py).
"""

from models.pbr.ledger import CLAWBACK, NOT_ACCRUALS, OUTCOME
from models.pbr.totals import payers_with

ACCEPTED = "('accepted', 'partly_accepted')"
# made by the migration alone, on PostgreSQL alone, and read here in SQL: not in the models' metadata
KEPT_TABLES = ("pbr_claim_sum", "pbr_claim_participant_sum", "pbr_claim_reason_sum")

# the same (day, outcome, claims, rejected claims, claimed, payable, capped, accepted) as reconcile_sums._OWN gives
# from the claims; a group whose claims have all gone (none is deleted today) is left out, as the claims leave it
KEPT_OWN = """
    SELECT achieved_on, outcome, claims, rejected, claimed_pence, payable_pence, capped_pence, accepted_pence
    FROM pbr_claim_sum WHERE contract_id = :c AND claims <> 0
"""

# the same (reasons, claims, claimed less payable less capped) as reconcile_sums.reason_sums gives from the claims
KEPT_REASONS = """
    SELECT reasons, claims, rejected_pence FROM pbr_claim_reason_sum WHERE contract_id = :c AND claims <> 0
"""

# The ids of the contract's claims clawed back (and not reversed): none, or a handful, found by their payers.
CLAWED_IDS = f"""
    SELECT l.claim_id FROM pbr_ledger l
    WHERE l.contract_id = :c AND l.payer IN ({payers_with(CLAWBACK, OUTCOME)})
      AND l.item = '{OUTCOME}' AND l.kind = '{CLAWBACK}' AND l.{NOT_ACCRUALS} AND l.claim_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM pbr_ledger r WHERE r.reverses_id = l.id)
"""

# The participant with the most accepted, net of the claims clawed back: the first participant no clawback touches,
# read from the top of ix_pbr_claim_participant_sum_top (one row), against those it touches (a few, their kept
# sums less their accepted claims clawed back). A participant all of whose accepted claims are clawed back is not
# one, as in reconcile_sums.top_sql; ties go to the first by reference.
KEPT_TOP = f"""
    WITH clawed AS (
        SELECT c.participant, COUNT(*) AS claims, SUM(c.payable_pence) AS pence FROM pbr_claim c
        WHERE c.contract_id = :c AND c.verdict IN {ACCEPTED} AND c.id IN ({CLAWED_IDS})
        GROUP BY c.participant
    ), candidates AS (
        (SELECT s.participant, s.accepted_pence AS total FROM pbr_claim_participant_sum s
         WHERE s.contract_id = :c AND s.claims > 0 AND s.participant NOT IN (SELECT participant FROM clawed)
         ORDER BY s.accepted_pence DESC, s.participant LIMIT 1)
        UNION ALL
        SELECT s.participant, s.accepted_pence - k.pence FROM pbr_claim_participant_sum s
        JOIN clawed k ON k.participant = s.participant
        WHERE s.contract_id = :c AND s.claims > k.claims
    )
    SELECT participant, total FROM candidates ORDER BY total DESC, participant LIMIT 1
"""
