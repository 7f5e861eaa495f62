"""Payment by results through the real `commission` command, on SQLite, as a finance officer types it.

FCF-2025-01 on the Fair Chance Fund card (examples/fair-chance-fund.yaml; 30% central fund / 70% council):

  claim  who    outcome    achieved    £         verdict
  C-1    P-001  EDU_ENTRY  2026-01-05    500.00  accepted
  C-2    P-001  EDU_L2     2026-01-19  3,500.00  accepted
  C-3    P-002  EDU_ENTRY  2026-01-12    500.00  accepted
  C-4    P-002  ACC_S3     2026-02-02  1,500.00  rejected: prerequisite_missing (no ACC_ENTRY)
  C-5    P-003  EMP_ENTRY  2026-02-09    500.00  rejected: ineligible (26 at referral)

The 2026-Q1 run pays £4,500.00: £1,350.00 to the central fund and £3,150.00 to the council. The sampling policy
needs all 3 checked (95%, ±5%); seed 7 samples C-1 and C-2 (£4,000.00), with a reason. C-1 is found invalid
(£500.00, 12.50% by value); under a policy that applies the point estimate, £62.50 is recovered on the £500.00 not
sampled (C-3): £18.75 from the central fund's share and £43.75 from the council's. Withdrawn, it is reversed.

The commands that run Prefect flows (claims import, pay, sample, reconcile) start a local temporary server each
time, so those tests are slow.
"""

import csv
import os
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

EXAMPLES = Path(__file__).parents[3] / "examples"
CARD = EXAMPLES / "fair-chance-fund.yaml"
PARTICIPANTS = """\
contract,participant,referral_date,date_of_birth
FCF-2025-01,P-001,2025-10-01,2005-01-15
FCF-2025-01,P-002,2025-11-03,2003-06-01
FCF-2025-01,P-003,2025-10-15,1999-02-28
"""
CLAIMS = """\
contract,claim_ref,participant,outcome,achieved_on,amount,evidence
FCF-2025-01,C-1,P-001,EDU_ENTRY,2026-01-05,,enrolment
FCF-2025-01,C-2,P-001,EDU_L2,2026-01-19,,certificate
FCF-2025-01,C-3,P-002,EDU_ENTRY,2026-01-12,,enrolment
FCF-2025-01,C-4,P-002,ACC_S3,2026-02-02,,tenancy_check
FCF-2025-01,C-5,P-003,EMP_ENTRY,2026-02-09,,payslip
"""
PAY = ("pay", "--contract", "FCF-2025-01", "--period", "2026-Q1", "--as-of", "2026-04-02")
SAMPLE = ("sample", "--contract", "FCF-2025-01", "--period", "2026-Q1", "--size", "2", "--seed", "7")
PILOT = ("--reason", "two of three: the fund's pilot check")


def finance_tokens(cli: Cli) -> tuple[str, str]:
    """Two finance users, Asha (who proposes) and Ben (who approves), and a new user token for each."""
    from flows.accounts.tokens import create_token
    from flows.accounts.users import add_user, users
    from flows.common.settings import load_settings

    cfg = load_settings(cli.env)
    there = {u["username"] for u in users(cfg)}
    tokens = []
    # Asha also sets up the contracts the tests pay (a commissioner's work: flows/cli/rules.py)
    for name, roles in (("asha", ["finance", "commissioner"]), ("ben", ["finance"])):
        if name not in there:
            add_user(cfg, username=name, display_name=name.title(), roles=roles,
                     password="correct horse battery", organisation=None, actor="e2e")  # fmt: skip
        tokens.append(create_token(cfg, username=name, purpose="api", name="e2e", actor="e2e")[0])
    return tokens[0], tokens[1]


def card_imported(cli: Cli, *args: str) -> str:
    """`ratecard import` proposes the card (as the login user); Ben approves it. The approval's output."""
    proposed = cli.ok("ratecard", "import", *args)
    assert "rate card from 2025-10-01" in proposed and "Next: commission approve" in proposed
    [pending] = cli.json("proposals", "--status", "pending")
    return cli.ok("approve", str(pending["id"]), COMMISSIONING_TOKEN=finance_tokens(cli)[1])


def add_fcf_contract(cli: Cli) -> None:
    """Project YPH-1 and the payment-by-results contract FCF-2025-01, with no rate card yet."""
    cli.ok("project", "add", "--ref", "YPH-1", "--title", "Young people's homelessness", "--area", "Housing",
           "--owner", "A", "--stage", "review", "--as-of", "2025-09-01")  # fmt: skip
    cli.ok("contracts", "add", "--ref", "FCF-2025-01", "--title", "Fair Chance Fund", "--provider",
           "Northbridge YP Trust", "--project", "YPH-1", "--value", "1500000", "--start", "2025-10-01",
           "--term", "3 years", "--payment-model", "payment_by_results", "--as-of", "2025-09-01")  # fmt: skip


@pytest.fixture
def fcf(initialised: Cli, tmp_path: Path) -> Cli:
    """Project YPH-1, the payment-by-results contract FCF-2025-01, its rate card and three participants."""
    cli = initialised
    add_fcf_contract(cli)
    out = card_imported(cli, str(CARD))
    assert "Proposal 1 approved by ben: FCF-2025-01 rate card from 2025-10-01 takes effect." in out
    (tmp_path / "participants.csv").write_text(PARTICIPANTS, encoding="utf-8")
    done = cli.run("participants", "import", str(tmp_path / "participants.csv"))
    assert done.returncode == 0, done.stderr
    assert "Participants: 3 added, 0 already there unchanged (FCF-2025-01)." in done.stdout
    assert "not eligible: P-003 was 26 at referral on 2025-10-15; the contract takes ages 18-24" in done.stderr
    (tmp_path / "claims.csv").write_text(CLAIMS, encoding="utf-8")
    return cli


def test_rate_cards_and_participants_import_once(fcf: Cli, tmp_path: Path) -> None:
    before = fcf.dump()
    again = fcf.json("ratecard", "import", str(CARD))
    assert again == {"contract": "FCF-2025-01", "effective_from": "2025-10-01", "outcomes": 21, "status": "unchanged",
                     "proposal": None, "pending": False}  # fmt: skip
    people = fcf.json("participants", "import", str(tmp_path / "participants.csv"))
    assert (people["added"], people["unchanged"]) == (0, 3)
    assert fcf.dump() == before


def test_a_participant_changed_on_a_second_import_is_refused_and_nothing_written(fcf: Cli, tmp_path: Path) -> None:
    changed = tmp_path / "changed.csv"
    changed.write_text(PARTICIPANTS.replace("P-002,2025-11-03", "P-002,2025-11-04"), encoding="utf-8")
    before = fcf.dump()
    done = fcf.run("participants", "import", str(changed))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{changed}:3: participant: P-002 already exists with other details" in done.stderr
    assert fcf.dump() == before


def test_a_card_for_an_unknown_contract_is_refused_in_one_line(fcf: Cli, tmp_path: Path) -> None:
    card = tmp_path / "card.yaml"
    card.write_text(CARD.read_text(encoding="utf-8").replace("contract: FCF-2025-01", "contract: FCF-2099-01"))
    before = fcf.dump()
    assert fcf.fails("ratecard", "import", str(card)) == "error: no contract with reference 'FCF-2099-01'"
    assert fcf.dump() == before


def test_a_contract_cap_over_the_contract_value_needs_a_reason(initialised: Cli, tmp_path: Path) -> None:
    cli = initialised
    add_fcf_contract(cli)  # worth £1,500,000
    card = tmp_path / "big-cap.yaml"
    card.write_text(CARD.read_text(encoding="utf-8").replace('"1500000.00"', '"600000000.00"'), encoding="utf-8")
    before = cli.dump()
    assert cli.fails("ratecard", "import", str(card)) == (
        f"error: {card}: contract_cap: £600,000,000.00 is more than contract FCF-2025-01 is worth (£1,500,000.00); "
        "correct the card, or import it with --allow-cap-over-value --reason TEXT"
    )
    assert cli.fails("ratecard", "import", str(card), "--allow-cap-over-value").startswith(
        "error: --allow-cap-over-value needs --reason TEXT"
    )
    assert cli.dump() == before
    why = "the fund's cap across all councils"
    out = card_imported(cli, str(card), "--allow-cap-over-value", "--reason", why)
    assert "rate card from 2025-10-01 takes effect" in out
    with sqlite3.connect(cli.data_dir / "commissioning.db") as conn:
        [(reason,)] = conn.execute("SELECT reason FROM event WHERE action = 'rate_card_imported'").fetchall()
    assert reason == why


def test_a_run_dated_ahead_or_outside_the_contract_is_refused_before_prefect_starts(fcf: Cli) -> None:
    before = fcf.dump()
    ahead = fcf.fails("pay", "--contract", "FCF-2025-01", "--period", "2026-Q4", "--as-of", "2027-01-05")
    # every write's own guard answers first; the run's rule says the same when called directly
    assert ahead.startswith("error: --as-of is in the future (2027-01-05; it is now ")
    early = fcf.fails("pay", "--contract", "FCF-2025-01", "--period", "2024-Q1")
    assert early == "error: 2024-Q1 ends on 2024-03-31, before the contract starts on 2025-10-01"
    late = fcf.fails("pay", "--contract", "FCF-2025-01", "--period", "2030-Q1", "--as-of", "2030-04-02")
    assert late.startswith("error: --as-of is in the future (2030-04-02; it is now ")
    after_end = fcf.fails("pay", "--contract", "FCF-2025-01", "--period", "2030-Q1")
    assert "2030-Q1 starts on 2030-01-01, after the contract's last day, 2028-09-30" in after_end
    assert fcf.dump() == before
    assert not (fcf.data_dir / "payments").exists()


@pytest.mark.slow
def test_claims_pay_sample_and_reconcile_from_the_command_line(fcf: Cli, tmp_path: Path) -> None:
    cli = fcf
    report = cli.json("claims", "import", str(tmp_path / "claims.csv"))
    assert (report["rows"], report["accepted"], report["rejected"], report["payable"]) == (5, 3, 2, "4500.00")
    assert [(r["line"], r["claim_ref"], r["reasons"]) for r in report["rejections"]] == [
        (5, "C-4", ["prerequisite_missing"]),
        (6, "C-5", ["ineligible"]),
    ]

    asha, ben = finance_tokens(cli)
    first = cli.ok(*PAY, COMMISSIONING_TOKEN=asha)  # proposed by Asha: a preview, DRAFT schedules, nothing paid
    assert "Proposal 2 (pending): FCF-2025-01 payment run 2026-Q1, £4,500.00; proposed by asha" in first
    assert "central fund: outcomes £1,350.00, fees £0.00; pays £1,350.00" in first
    assert "council: outcomes £3,150.00, fees £0.00; pays £3,150.00" in first
    assert "Next: commission approve 2" in first and "DRAFT-council.csv" in first
    schedules = cli.data_dir / "payments" / "FCF-2025-01" / "2026-Q1"
    assert not schedules.exists()
    own = cli.fails("approve", "2", "--as-of", "2026-04-02", COMMISSIONING_TOKEN=asha)
    assert "asha proposed it; the approver must be someone else" in own
    assert "needs a signed-in user or a user token" in cli.fails("approve", "2", "--as-of", "2026-04-02")
    approved = cli.ok("approve", "2", "--as-of", "2026-04-02", COMMISSIONING_TOKEN=ben)
    assert "Proposal 2 approved by ben: FCF-2025-01 payment run 2026-Q1 takes effect." in approved
    council = (schedules / "council.csv").read_text(encoding="utf-8")
    second = cli.ok(*PAY)
    assert "(already run; this is the run)" in second and "paid £4,500.00" in second
    assert (schedules / "council.csv").read_text(encoding="utf-8") == council
    with (schedules / "council.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    assert [(r[4], r[5], r[9]) for r in rows] == [
        ("outcome", "C-1", "350.00"),
        ("outcome", "C-3", "350.00"),
        ("outcome", "C-2", "2450.00"),
        ("payment", "", "3150.00"),
    ]

    small = cli.run(*SAMPLE, "--as-of", "2026-04-10")
    assert small.returncode == 1 and "Traceback" not in small.stderr
    assert "--size: 2 is below the minimum sample of 3 of the 3 claims paid (95% confidence, ±5%" in small.stderr
    (cli.data_dir / "sampling.toml").write_text('[recovery]\nbasis = "point_estimate"\n', encoding="utf-8")
    drawn = cli.ok(*SAMPLE, *PILOT, "--as-of", "2026-04-10")
    assert "Sample FCF-2025-01 2026-Q1 (seed 7, drawn now): 2 of 3 paid claim(s) worth £4,500.00." in drawn
    assert "below the minimum of 3, because: two of three: the fund's pilot check" in drawn
    assert "C-1  P-001  EDU_ENTRY  £500.00  to check" in drawn and "C-2  P-001  EDU_L2  £3,500.00  to check" in drawn
    checks = tmp_path / "checks.csv"
    checks.write_text("claim_ref,result,note\nC-1,invalid,no enrolment record\nC-2,valid,\n", encoding="utf-8")
    concluded = cli.json(*SAMPLE, "--results", str(checks), "--as-of", "2026-04-10")
    assert concluded["existing"] is True
    assert [(i["claim"], i["result"]) for i in concluded["items"]] == [("C-1", "invalid"), ("C-2", "valid")]
    # residuals 437.50 and -437.50; variance (1 - 2/3) x 382,812.5 / (2 x 2,000^2) = 0.015951, SE 12.63%;
    # 12.50% +- 1.96 x 12.63% = -12.25% .. 37.25%, kept above 0
    assert concluded["concluded"] == {
        "sampled_value": "4000.00",
        "invalid_value": "500.00",
        "error_rate": "12.50%",
        "standard_error": "12.63%",
        "confidence": "95%",
        "interval": "0.00% to 37.25%",
        "basis": "point_estimate",
        "applied_rate": "12.50%",
        "method": "the point estimate 12.50% of 12.50% by value, 95% interval 0.00% to 37.25%",
        "unsampled_value": "500.00",
        "recovery": "62.50",
        "withdrawn": None,
        "proposal": 3,  # C-1's clawback and the recovery are proposed together; Ben approves them
        "proposal_status": "pending",
    }
    [pending] = cli.json("proposals", "--status", "pending")
    # C-1's £500.00 and the £62.50 recovery: £562.50, none of it in the ledger yet
    assert (pending["subject"], pending["amount"]) == ("recovery from the 2026-Q1 sample", "562.50")
    assert cli.json("reconcile", "--contract", "FCF-2025-01")["totals"]["clawed_back"] == "0.00"
    cli.ok("approve", "3", "--as-of", "2026-04-10", COMMISSIONING_TOKEN=ben)
    again = cli.ok(*SAMPLE, "--results", str(checks), "--as-of", "2026-04-10")  # the results given again
    assert "£62.50 on the £500.00 not sampled, netted off the next payment run." in again
    assert "Proposal 3 (approved)" in again

    recon = cli.json("reconcile", "--contract", "FCF-2025-01")
    t = recon["totals"]
    assert (t["claimed"], t["accepted"], t["capped"], t["rejected"]) == ("6500.00", "4500.00", "0.00", "2000.00")
    assert (t["paid"], t["clawed_back"], t["extrapolated_recoveries"]) == ("4500.00", "500.00", "62.50")
    assert {p["payer"]: p["balance"] for p in recon["payers"]} == {"central fund": "-168.75", "council": "-393.75"}

    csv_file, xlsx_file, chart = tmp_path / "recon.csv", tmp_path / "recon.xlsx", tmp_path / "recon.png"
    done = cli.run("reconcile", "--contract", "FCF-2025-01", "--csv", str(csv_file), "--xlsx", str(xlsx_file),
                   "--chart", str(chart), "--by", "e2e-finance")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"wrote {csv_file}" in done.stderr and f"wrote {chart}" in done.stderr
    assert csv_file.read_text(encoding="utf-8").startswith("provider,contract,period,outcome,claims,")
    assert xlsx_file.read_bytes().startswith(b"PK\x03\x04")
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    table = cli.ok("reconcile", "--contract", "FCF-2025-01")
    assert "Rejected by reason" in table and "prerequisite_missing" in table and "Extrapolated recoveries" in table
    # pounds and pence in every table, the main one too: claimed £6,500.00, accepted and paid £4,500.00
    total = next(line for line in table.splitlines() if line.strip().startswith("total"))
    assert total.split()[1:6] == ["5", "6,500.00", "4,500.00", "0.00", "2,000.00"]
    assert "accepted, net of" in table and "paid, before" in table  # the caps table's figures, named

    from openpyxl import load_workbook

    first = load_workbook(xlsx_file).worksheets[0]
    assert str(first["A1"].value).startswith("FCF-2025-01 (")
    assert str(first["A2"].value).startswith("generated ") and str(first["A2"].value).endswith(" by e2e-finance")
    assert Decimal(str(first["B3"].value)) == Decimal("62.50")  # the extrapolated recovery

    withdrawn = cli.ok("recovery", "withdraw", "--contract", "FCF-2025-01", "--period", "2026-Q1",
                       "--reason", "the fund does not extrapolate pilots", "--as-of", "2026-04-11")  # fmt: skip
    assert "FCF-2025-01 2026-Q1: recovery to be withdrawn: £62.50 before, £0.00 once approved." in withdrawn
    assert "central fund: reversal £18.75" in withdrawn and "council: reversal £43.75" in withdrawn
    # it moves money, so it waits for a second finance user: Ben approves it
    [pending] = cli.json("proposals", "--status", "pending")
    assert pending["kind"] == "recovery_withdrawal"
    cli.ok("approve", str(pending["id"]), "--as-of", "2026-04-11", COMMISSIONING_TOKEN=ben)
    recon = cli.json("reconcile", "--contract", "FCF-2025-01")
    # only C-1's own clawback (£150.00 / £350.00) is left owed back
    assert {p["payer"]: p["balance"] for p in recon["payers"]} == {"central fund": "-150.00", "council": "-350.00"}
    shown = cli.ok(*SAMPLE, "--as-of", "2026-04-11")
    assert "Recovery withdrawn on 2026-04-11 by ben: the fund does not extrapolate pilots" in shown


@pytest.mark.slow
def test_a_malformed_claims_file_or_an_early_run_exits_1_and_writes_nothing(fcf: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(CLAIMS.replace("2026-01-19", "19/01/2026"), encoding="utf-8")
    before = fcf.dump()
    done = fcf.run("claims", "import", str(bad), "--json")
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith(f"error: {bad}: 1 malformed row(s); no claims from this file were imported:")
    assert f"{bad}:3: achieved_on: '19/01/2026' is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)" in done.stderr
    assert fcf.dump() == before

    early = fcf.fails("pay", "--contract", "FCF-2025-01", "--period", "2026-Q1", "--as-of", "2026-03-31")
    assert early == "error: 2026-Q1 ends on 2026-03-31; it is paid in arrears, from 2026-04-01"
    assert fcf.dump() == before


@pytest.mark.slow
def test_a_big_claims_file_is_decided_on_every_core_through_the_prefect_flow(initialised: Cli, tmp_path: Path) -> None:
    # Above PARALLEL_FROM claims, with no cap in reach, the import forks workers inside the Prefect flow run:
    # they must decide and store every claim and leave the command's output clean.
    cli = initialised
    add_fcf_contract(cli)
    roomy = tmp_path / "roomy.yaml"  # caps no file here can reach
    card = CARD.read_text(encoding="utf-8").replace("cohort: 300 ", "cohort: 90000 ")
    roomy.write_text(card.replace('contract_cap: "1500000.00"', 'contract_cap: "900000000.00"'), encoding="utf-8")
    card_imported(cli, str(roomy), "--allow-cap-over-value", "--reason", "a load test, not a real cap")
    people = 13_000
    with (tmp_path / "people.csv").open("w", encoding="utf-8") as out:
        out.write("contract,participant,referral_date,date_of_birth\n")
        out.writelines(f"FCF-2025-01,P-{n:05d},2025-10-{1 + n % 28:02d},2005-03-01\n" for n in range(people))
    cli.ok("participants", "import", str(tmp_path / "people.csv"))
    outcomes = (("ASSESS_1", "assessment_form"), ("EDU_ENTRY", "enrolment"), ("EMP_ENTRY", "payslip"),
                ("VOL_6", "volunteer_record"))  # fmt: skip
    with (tmp_path / "big.csv").open("w", encoding="utf-8") as out:
        out.write("contract,claim_ref,participant,outcome,achieved_on,amount,evidence\n")
        for n in range(people):
            for k, (code, evidence) in enumerate(outcomes):
                out.write(f"FCF-2025-01,C-{n:05d}-{k},P-{n:05d},{code},2026-01-{1 + n % 28:02d},,{evidence}\n")
        out.write("FCF-2025-01,C-X,P-99999,ASSESS_1,2026-01-05,,assessment_form\n")  # unknown participant
    report = cli.json("claims", "import", str(tmp_path / "big.csv"), timeout=600)
    claims = 4 * people + 1
    assert (report["rows"], report["added"], report["accepted"], report["rejected"]) == (claims, claims, claims - 1, 1)
    assert report["payable"] == f"{500 * (claims - 1)}.00"
    assert [(r["line"], r["reasons"]) for r in report["rejections"]] == [(claims + 1, ["unknown_participant"])]
    assert report["workers"] == min(2, len(os.sched_getaffinity(0)))
    with sqlite3.connect(cli.data_dir / "commissioning.db") as db:
        assert db.execute("SELECT count(*), min(line), max(line) FROM pbr_claim").fetchone() == (claims, 2, claims + 1)
        # stored in pay order: ids follow (contract, day achieved, line), one after another
        assert db.execute(
            "SELECT count(*) FROM (SELECT id, row_number() OVER (ORDER BY contract_id, achieved_on, line) AS n "
            "FROM pbr_claim) WHERE id - n != (SELECT min(id) - 1 FROM pbr_claim)"
        ).fetchone() == (0,)
