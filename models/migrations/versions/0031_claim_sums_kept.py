"""The claims' sums reconcile reads, kept beside the claims on PostgreSQL by triggers

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07

Reconcile on PostgreSQL summed every claim of the contract twice: by achieved day
and outcome (13,495 groups at 1,000,000 claims), and its accepted pence by
participant (250,000 groups), and read those with reasons (a few in ten) by their
reasons: 3.5 to 4.8 s at 1,000,000 claims and about 60 s at 10,000,000. Here the
three sums are kept beside the claims (``pbr_claim_sum``, ``pbr_claim_participant_sum``,
``pbr_claim_reason_sum``), written in the same transaction as the claims by
triggers on ``pbr_claim``, so that reconcile reads the kept sums (and the few
unpaid and marked claims), nothing that grows with every claim:
- inserted claims: a statement-level trigger sums the statement's rows (its
  transition table, ``new_rows``) in one ``INSERT ... ON CONFLICT DO UPDATE`` per
  table: a claims import's ``COPY`` of a batch is one statement;
- updated claims: a row-level trigger, only for an UPDATE that sets a summed column
  (PostgreSQL allows no column list with a transition table), so that a run's
  marking of the claims it accrued (``accrued_run_id``, a quarter of a million rows)
  fires nothing; the writers that set them (participant corrections) set a few;
- deleted claims (nothing deletes one today): a statement-level trigger, as inserts.
Triggers, not upkeep by each writer: every writer of a claim (the COPY import, the
corrections, any later one) keeps the sums without being told to.

PostgreSQL only. On SQLite reconcile reads its covering indexes (0024, 0026), and a
row-level trigger (SQLite has no other) tripled the CPU of inserting claims in a
trial of 200,000 rows; so there are no kept sums there.

Existing claims are summed into the tables here.
"""

from alembic import op


revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

ACCEPTED = "verdict IN ('accepted', 'partly_accepted')"
SUMMED = ("contract_id", "achieved_on", "outcome", "participant", "verdict", "claimed_pence", "payable_pence",
          "capped_pence", "reasons")  # fmt: skip


def _own(rows: str) -> tuple[str, str, str]:
    """The three upserts of the sums of ``rows`` (columns of pbr_claim and ``sign``, 1 or -1): by (contract, day,
    outcome), the accepted by (contract, participant), and those with reasons by (contract, reasons)."""
    return (
        f"""
        INSERT INTO pbr_claim_sum AS s (contract_id, achieved_on, outcome, claims, rejected, claimed_pence,
                                        payable_pence, capped_pence, accepted_pence)
        SELECT contract_id, achieved_on, outcome, SUM(sign), SUM(CASE WHEN verdict = 'rejected' THEN sign ELSE 0 END),
               SUM(sign * claimed_pence), SUM(sign * payable_pence), SUM(sign * capped_pence),
               SUM(CASE WHEN {ACCEPTED} THEN sign * payable_pence ELSE 0 END)
        FROM {rows} GROUP BY contract_id, achieved_on, outcome
        ON CONFLICT (contract_id, achieved_on, outcome) DO UPDATE SET
            claims = s.claims + EXCLUDED.claims, rejected = s.rejected + EXCLUDED.rejected,
            claimed_pence = s.claimed_pence + EXCLUDED.claimed_pence,
            payable_pence = s.payable_pence + EXCLUDED.payable_pence,
            capped_pence = s.capped_pence + EXCLUDED.capped_pence,
            accepted_pence = s.accepted_pence + EXCLUDED.accepted_pence
        """,
        f"""
        INSERT INTO pbr_claim_participant_sum AS s (contract_id, participant, claims, accepted_pence)
        SELECT contract_id, participant, SUM(sign), SUM(sign * payable_pence)
        FROM {rows} WHERE {ACCEPTED} GROUP BY contract_id, participant
        ON CONFLICT (contract_id, participant) DO UPDATE SET
            claims = s.claims + EXCLUDED.claims, accepted_pence = s.accepted_pence + EXCLUDED.accepted_pence
        """,
        f"""
        INSERT INTO pbr_claim_reason_sum AS s (contract_id, reasons, claims, rejected_pence)
        SELECT contract_id, reasons, SUM(sign), SUM(sign * (claimed_pence - payable_pence - capped_pence))
        FROM {rows} WHERE reasons <> '' GROUP BY contract_id, reasons
        ON CONFLICT (contract_id, reasons) DO UPDATE SET
            claims = s.claims + EXCLUDED.claims, rejected_pence = s.rejected_pence + EXCLUDED.rejected_pence
        """,
    )


def _function(name: str, body: tuple[str, ...]) -> str:
    statements = "; ".join(body)
    # work_mem: the statement's rows grouped by participant in a hash table (250,000 at a 1,000,000-claim import),
    # not sorted on disk, as PostgreSQL's 4 MB default would have them
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql SET work_mem = '64MB' "
        f"AS $$ BEGIN {statements}; RETURN NULL; END $$"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE TABLE pbr_claim_sum (contract_id INTEGER NOT NULL, achieved_on DATE NOT NULL, "
        "outcome VARCHAR(30) NOT NULL, claims BIGINT NOT NULL, rejected BIGINT NOT NULL, "
        "claimed_pence BIGINT NOT NULL, payable_pence BIGINT NOT NULL, capped_pence BIGINT NOT NULL, "
        "accepted_pence BIGINT NOT NULL, PRIMARY KEY (contract_id, achieved_on, outcome))"
    )
    op.execute(
        "CREATE TABLE pbr_claim_participant_sum (contract_id INTEGER NOT NULL, participant VARCHAR(60) NOT NULL, "
        "claims BIGINT NOT NULL, accepted_pence BIGINT NOT NULL, PRIMARY KEY (contract_id, participant))"
    )
    op.execute(
        "CREATE TABLE pbr_claim_reason_sum (contract_id INTEGER NOT NULL, reasons VARCHAR(300) NOT NULL, "
        "claims BIGINT NOT NULL, rejected_pence BIGINT NOT NULL, PRIMARY KEY (contract_id, reasons))"
    )
    # the participant with the most accepted, read first from here (models/pbr/claim_sums_kept.py)
    op.execute(
        "CREATE INDEX ix_pbr_claim_participant_sum_top "
        "ON pbr_claim_participant_sum (contract_id, accepted_pence DESC, participant)"
    )
    columns = ", ".join(SUMMED)
    op.execute(_function("pbr_claim_sums_inserted", _own(f"(SELECT {columns}, 1 AS sign FROM new_rows) AS d")))
    op.execute(_function("pbr_claim_sums_deleted", _own(f"(SELECT {columns}, -1 AS sign FROM old_rows) AS d")))
    old = ", ".join(f"OLD.{c}" for c in SUMMED)
    new = ", ".join(f"NEW.{c}" for c in SUMMED)
    changed = f"(VALUES ({old}, -1), ({new}, 1)) AS d ({columns}, sign)"
    op.execute(_function("pbr_claim_sums_updated", _own(changed)))
    op.execute(
        "CREATE TRIGGER pbr_claim_sums_inserted AFTER INSERT ON pbr_claim REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION pbr_claim_sums_inserted()"
    )
    op.execute(
        "CREATE TRIGGER pbr_claim_sums_deleted AFTER DELETE ON pbr_claim REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION pbr_claim_sums_deleted()"
    )
    differs = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in SUMMED)
    op.execute(
        f"CREATE TRIGGER pbr_claim_sums_updated AFTER UPDATE OF {columns} ON pbr_claim "
        f"FOR EACH ROW WHEN ({differs}) EXECUTE FUNCTION pbr_claim_sums_updated()"
    )
    for fill in _own(f"(SELECT {columns}, 1 AS sign FROM pbr_claim) AS d"):
        op.execute(fill)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in ("inserted", "deleted", "updated"):
        op.execute(f"DROP TRIGGER pbr_claim_sums_{name} ON pbr_claim")
        op.execute(f"DROP FUNCTION pbr_claim_sums_{name}()")
    op.execute("DROP TABLE pbr_claim_reason_sum")
    op.execute("DROP TABLE pbr_claim_participant_sum")
    op.execute("DROP TABLE pbr_claim_sum")
