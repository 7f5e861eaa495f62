"""The CLI as a commissioner uses it, and every kind of bad input it must refuse cleanly."""

from pathlib import Path

import pytest

from models.revision import SCHEMA_REVISION
from tests.e2e.conftest import Cli, with_option

PROJECT = [
    "project",
    "add",
    "--ref",
    "FAM-2026-01",
    "--title",
    "Family hubs",
    "--area",
    "Children and families",
    "--owner",
    "Priya Shah",
    "--as-of",
    "2026-01-05",
]
EVIDENCE = [
    "evidence",
    "add",
    "FAM-2026-01",
    "--kind",
    "what_works",
    "--source",
    "FNP Building Blocks 2-6",
    "--produced-by",
    "Cardiff University",
    "--reviewed",
    "--method",
    "RCT",
    "--context-fit",
    "high",
    "--strength",
    "eif:4",
    "--summary",
    "Reduced maltreatment",
    "--link",
    "https://example.org/fnp",
    "--as-of",
    "2026-01-12",
]


def test_init_creates_the_database_in_the_data_dir_and_is_safe_to_repeat(cli: Cli) -> None:
    first = cli.ok("init")
    assert f"schema {SCHEMA_REVISION} (created)" in first
    assert (cli.data_dir / "commissioning.db").exists()
    assert "already current" in cli.ok("init")


def test_a_commissioner_adds_a_project_evidence_and_records(initialised: Cli) -> None:
    cli = initialised
    assert "Created FAM-2026-01 'Family hubs' in Analyse." in cli.ok(*PROJECT)
    assert "Added evidence item 1 (what_works, eif:4)" in cli.ok(*EVIDENCE)
    refused = cli.fails("record", "FAM-2026-01", "business-case", "approved", "--on", "2026-03-16", "--note", "Cabinet")
    assert refused == (
        "error: project FAM-2026-01 is in Analyse, whose gate does not use a business case; record it in Plan"
    )
    [row] = cli.json("projects")
    assert (row["ref"], row["stage"], row["last_gate"]) == ("FAM-2026-01", "analyse", None)
    detail = cli.json("show", "fam-2026-01")
    assert detail["gate"]["outcome"] == "refused"
    assert [u["code"] for u in detail["gate"]["unmet"]] == ["evidence_missing:local_need"]
    assert [e["action"] for e in detail["history"]] == ["ProjectCreated", "EvidenceAdded"]
    assert all(e["actor"] == "os:e2e (unauthenticated)" for e in detail["history"])  # no token: marked so
    listing = cli.json("evidence", "list")
    assert [(e["project"], e["strength"]) for e in listing] == [("FAM-2026-01", "eif:4")]

    shown = cli.ok("show", "FAM-2026-01")
    assert "Gate to Plan: 1 condition(s) unmet" in shown
    assert "No evidence of local need has been recorded" in shown
    board = cli.ok("projects")
    assert "Commissioning board" in board and "FAM-2026-01" in board


def test_help_lists_every_command(cli: Cli) -> None:
    out = cli.ok("--help")
    for command in ("init", "project", "projects", "show", "advance", "record", "evidence", "demo", "policy"):
        assert command in out


def test_policy_show_and_the_cycle_diagram(cli: Cli) -> None:
    gates = cli.json("policy", "show")
    assert set(gates["gates"]) == {
        "analyse_to_plan",
        "plan_to_do",
        "do_to_review",
        "review_to_analyse",
        "review_to_decommissioned",
    }
    assert "Do --> Plan: return_to_planning" in cli.ok("policy", "show", "--diagram")


# --------------------------------------------------------------------------- bad input


@pytest.fixture
def with_project(initialised: Cli) -> Cli:
    initialised.ok(*PROJECT)
    return initialised


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "FAM-2062-01"], "no project with reference 'FAM-2062-01'; did you mean FAM-2026-01?"),
        (["advance", "NOPE"], "no project with reference 'NOPE'"),
        (["record", "NOPE", "award", "X"], "no project with reference 'NOPE'"),
        (
            ["advance", "FAM-2026-01", "--to", "review"],
            "illegal transition for FAM-2026-01: Analyse -> Review is not a step in the commissioning cycle; "
            "from Analyse a project can move to: Plan.",
        ),
        (["advance", "FAM-2026-01", "--to", "do"], "Analyse -> Do is not a step"),
        (["advance", "FAM-2026-01", "--as-of", "01/03/2026"], "--as-of: '01/03/2026' is not an ISO date"),
        (["advance", "FAM-2026-01", "--as-of", "2025-12-01"], "is before FAM-2026-01 entered Analyse"),
        (with_option(EVIDENCE, "--strength", "eif:5"), "strength: 'eif:5' is off the EIF scale (levels 1-4)"),
        (with_option(EVIDENCE, "--kind", "gossip"), "kind: 'gossip' is not a kind of evidence"),
        (
            with_option(with_option(EVIDENCE, "--strength", "sms:9"), "--summary", " "),
            "summary: is missing; strength: 'sms:9' is off the SMS scale (levels 1-5)",
        ),
        (with_option(EVIDENCE, "--link", "www.example.org"), "link: 'www.example.org' is not a web address"),
        (["record", "FAM-2026-01", "business_case", "signed"], "'signed' is not a business case value"),
        (["record", "FAM-2026-01", "budget", "big"], "'budget' is not a kind of record"),
        (["record", "FAM-2026-01", "award", "Trust", "--on", "16/03/2026"], "--on: '16/03/2026' is not a date"),
        ([*PROJECT], "project FAM-2026-01 already exists"),
    ],
)
def test_bad_input_is_one_line_a_non_zero_exit_and_nothing_written(
    with_project: Cli, args: list[str], message: str
) -> None:
    cli = with_project
    before = cli.dump()
    line = cli.fails(*args)
    assert message in line
    assert cli.dump() == before


@pytest.mark.parametrize("option", ["--method", "--strength", "--kind", "--source"])
def test_a_missing_evidence_field_is_a_one_line_usage_error(with_project: Cli, option: str) -> None:
    before = with_project.dump()
    line = with_project.fails(*with_option(EVIDENCE, option, None), code=2)
    assert f"Missing option '{option}'" in line and "commission evidence add --help" in line
    assert with_project.dump() == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[gates.analyse_to_plan\n", "is not valid TOML"),
        (
            "[gates.analyse_to_plan]\nevidence = [{ kind = 'what_works', min_strength = { eif = 9 } }]\n",
            "min_strength.eif: 9 is off the EIF scale",
        ),
        (
            "[gates.review_to_analyse]\nrecords = [{ record = 'review_decision', values = ['decommission'] }]\n",
            "contradicts the cycle",
        ),
    ],
)
def test_a_bad_policy_file_stops_every_command_that_uses_it(
    with_project: Cli, tmp_path: Path, text: str, message: str
) -> None:
    cli = with_project
    before = cli.dump()
    policy = tmp_path / "gates.toml"
    policy.write_text(text)
    for args in (["show", "FAM-2026-01"], ["advance", "FAM-2026-01"], ["demo"], ["policy", "check", str(policy)]):
        line = cli.fails(*args, COMMISSIONING_POLICY_FILE=str(policy))
        assert "the stage-gate policy is not valid" in line and str(policy) in line and message in line
    assert cli.dump() == before


def test_the_demo_refuses_a_database_holding_data_it_did_not_make(initialised: Cli) -> None:
    cli = initialised
    cli.ok(*with_option(PROJECT, "--ref", "OWN-2026-01"))
    before = cli.dump()
    line = cli.fails("demo")
    assert "demo: this database already holds users or data the demo did not make" in line
    assert "(project OWN-2026-01 by os:e2e (unauthenticated))" in line and "a fresh data directory" in line
    assert cli.dump() == before


def test_a_missing_policy_file_is_named(with_project: Cli, tmp_path: Path) -> None:
    line = with_project.fails("show", "FAM-2026-01", COMMISSIONING_POLICY_FILE=str(tmp_path / "nope.toml"))
    assert "nope.toml does not exist" in line


@pytest.mark.parametrize("command", [["projects"], ["init"], ["show", "X"], [*PROJECT]])
def test_an_unreachable_database_is_one_line_without_the_password(cli: Cli, command: list[str]) -> None:
    url = "postgresql://commissioner:s3cret-pw@127.0.0.1:1/commissioning"
    # With a token, so that a write is not refused first: PostgreSQL installations refuse unauthenticated writes
    # (policies/controls.toml), and checking the token is the first thing that needs the database.
    line = cli.fails(*command, COMMISSIONING_DATABASE_URL=url, COMMISSIONING_TOKEN="checked-in-the-database")
    assert "cannot reach the database at postgresql+psycopg://commissioner:***@127.0.0.1:1/commissioning" in line
    assert "s3cret-pw" not in line


def test_an_unauthenticated_write_to_postgresql_is_refused_before_the_database_is_reached(cli: Cli) -> None:
    url = "postgresql://commissioner:s3cret-pw@127.0.0.1:1/commissioning"
    line = cli.fails(*PROJECT, COMMISSIONING_DATABASE_URL=url)
    assert line == (
        "error: this installation refuses changes without a user token: make one with "
        "`commission users token NAME` and give it as COMMISSIONING_TOKEN or --token"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "COMMISSIONING_DATABASE_URL is not a database URL; use sqlite:///"),
        ("postgresql://alice:s3cret-pw@127.0.0.1:abc/db", "COMMISSIONING_DATABASE_URL is not a database URL"),
        ("mysql://alice:s3cret-pw@127.0.0.1/db", "uses mysql+mysqldb, which is not supported"),
        ("postgresql+asyncpg://alice:s3cret-pw@127.0.0.1/db", "uses postgresql+asyncpg, which is not supported"),
    ],
)
def test_a_database_url_we_cannot_use_is_refused_in_words(cli: Cli, url: str, message: str) -> None:
    line = cli.fails("projects", COMMISSIONING_DATABASE_URL=url)
    assert message in line
    assert "s3cret-pw" not in line


def test_an_unknown_time_zone_is_refused(initialised: Cli) -> None:
    line = initialised.fails("projects", COMMISSIONING_TIMEZONE="Mars/Base")
    assert "COMMISSIONING_TIMEZONE 'Mars/Base' is not a time zone" in line


def test_evidence_list_refuses_an_unknown_kind(with_project: Cli) -> None:
    assert "'gossip' is not a kind of evidence" in with_project.fails("evidence", "list", "--kind", "gossip")
    assert with_project.json("evidence", "list", "--kind", "what-works") == []


def test_who_is_acting_must_fit_the_audit_log(with_project: Cli) -> None:
    before = with_project.dump()
    # 100 characters, so that "os:NAME (unauthenticated)" fits the audit log's 120
    assert "at most 100 characters" in with_project.fails(*EVIDENCE, "--by", "x" * 101)
    assert with_project.dump() == before


def test_a_database_without_schema_asks_for_init(cli: Cli) -> None:
    assert "run `commission init` first" in cli.fails("projects")


def _every_unmet_code() -> dict[str, set[str]]:
    """Every unmet code ``assess`` returns, per gate, when the shipped gates see nothing, or the wrong things."""
    from policies.cycle.gates import ProjectFacts, assess
    from policies.cycle.records import RecordKind, StageRecord
    from tests.support.builders import evidence, shipped_policy

    policy = shipped_policy()
    weak = (evidence("local_need", "sms:1"), evidence("what_works", "sms:1"))
    wrong = {kind: StageRecord(kind, "draft", "2026-01-01") for kind in RecordKind}
    found: dict[str, set[str]] = {}
    for key, gate in policy.gates.items():
        t = gate.transition
        for facts in (ProjectFacts(t.source), ProjectFacts(t.source, weak, wrong)):
            found.setdefault(key, set()).update(u.code for u in assess(facts, policy, t.target).unmet)
    # In Review with no decision at all, the gate out is not yet chosen: the code belongs to both gates.
    from policies.cycle.stages import Stage

    found["review_to_analyse"].update(u.code for u in assess(ProjectFacts(Stage.REVIEW), policy).unmet)
    return found


def test_policy_show_lists_every_condition_a_gate_checks(cli: Cli) -> None:
    shown = cli.json("policy", "show")["gates"]
    text = cli.ok("policy", "show")
    for key, codes in _every_unmet_code().items():
        listed = {code for condition in shown[key]["conditions"] for code in condition["codes"]}
        assert codes <= listed, (key, codes - listed)
        for condition in shown[key]["conditions"]:
            assert f"  - {condition['condition']}" in text
    assert shown["do_to_review"]["live_contract"] is True
    do_to_review = text.split("Do -> Review")[1].split("\n\n")[0]
    assert "(no conditions)" not in do_to_review and "in force" in do_to_review


def test_piped_output_is_neither_wrapped_nor_cut(initialised: Cli) -> None:
    title = "Family hubs and early help, with a title long enough to need more than eighty columns to show"
    initialised.ok(*with_option(PROJECT, "--title", title), "--owner", "Priya Shah of the Children's Services Team")
    for args in (["projects"], ["show", "FAM-2026-01"], ["policy", "show"]):
        out = initialised.ok(*args, COLUMNS="")  # piped, and no width from the environment
        assert "…" not in out, out
    assert title in initialised.ok("projects", COLUMNS="")
    policy = initialised.ok("policy", "show", COLUMNS="")
    assert "  - a contract linked to the project, in force (started, not ended, not terminated or expired)\n" in policy


def test_policy_check_says_an_empty_file_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing yet\n")
    assert cli.ok("policy", "check", str(empty)).strip() == (
        f"{empty}: valid, but it sets no gate, so it changes nothing: the shipped defaults apply."
    )
    one = tmp_path / "one.toml"
    one.write_text('[gates.do_to_review]\nlive_contract = true\nrecords = [{ record = "award" }]\n')
    assert cli.ok("policy", "check", str(one)).strip() == (
        f"{one}: valid; it sets 1 gate (do_to_review); the other gates keep the shipped defaults."
    )


def test_a_missing_policy_file_is_named_with_where_it_was_named(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "my-gates.toml"
    assert cli.fails("policy", "check", str(missing)) == (
        f"error: policy file {missing} does not exist (named by the FILE argument of `commission policy check`)"
    )
    assert cli.fails("policy", "show", COMMISSIONING_POLICY_FILE=str(missing)) == (
        f"error: policy file {missing} does not exist (named by COMMISSIONING_POLICY_FILE)"
    )
