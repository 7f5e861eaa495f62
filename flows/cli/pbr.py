"""commission ratecard / participants / claims import (payment by results), and what the payment commands share."""

import contextlib
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from flows.cli.common import (
    AS_OF_HELP,
    JSON_HELP,
    NO_WAIT_HELP,
    TOKEN_HELP,
    actor,
    console,
    err_console,
    identity,
    money_text,
    print_json,
    settings,
    write_as_of,
)
from flows.cli.lists import claims_list, participants_list
from flows.common.errors import UserError

SHOWN = 50  # rejections listed in the terminal; --report FILE writes them all


def register(app: typer.Typer) -> None:
    ratecard = typer.Typer(help="Payment-by-results rate cards (YAML or CSV), versioned by effective date.")
    ratecard.command("import")(ratecard_import)
    app.add_typer(ratecard, name="ratecard", no_args_is_help=True)
    participants = typer.Typer(help="Participants of payment-by-results contracts (CSV or XLSX).")
    participants.command("import")(participants_import)
    participants.command("list")(participants_list)
    participants.command("correct")(participants_correct)
    app.add_typer(participants, name="participants", no_args_is_help=True)
    claims = typer.Typer(help="Outcome claims (CSV or XLSX), validated against the rate card.")
    claims.command("import")(claims_import)
    claims.command("list")(claims_list)
    app.add_typer(claims, name="claims", no_args_is_help=True)


def run_flow(cfg: Any, name: str, *, as_json: bool, wait: bool = True, **kwargs: Any) -> dict[str, Any]:
    """The flow's result, whether it ran here or on the Prefect server's workers
    (COMMISSIONING_RUN_MODE=deployments, see said_submitted)."""
    from flows.common.deployment_runs import run_mode
    from flows.common.runtime import start_prefect

    run_mode()  # a bad mode, or deployments with no PREFECT_API_URL, is refused before Prefect starts (30 s)
    start_prefect(cfg)
    from flows.pbr.pbr_flows import run

    if not as_json:
        result = run(name, wait=wait, **kwargs)
    else:
        with contextlib.redirect_stdout(sys.stderr):
            result = run(name, wait=wait, **kwargs)
    return said_submitted(result, as_json=as_json)


def said_submitted(result: dict[str, Any], *, as_json: bool) -> dict[str, Any]:
    """The flow's result to summarise as in-process. A deployment run's id and state is said first (on stderr
    with --json); a run not waited for (--no-wait), or still going when the wait ended, has no result to say:
    its id and state are all, and the command ends."""
    if "flow_run" not in result:
        return result
    from flows.common.deployment_runs import sentence

    if "result" in result:
        (err_console if as_json else console).print(sentence(result), markup=False)
        flow_result: dict[str, Any] = result["result"]
        return flow_result
    print_json(result) if as_json else console.print(sentence(result), markup=False)
    raise typer.Exit(0)


def readable(path: Path) -> None:
    """Refuse a file that is not there, is a folder, cannot be opened or is empty, before any engine starts."""
    from flows.common.files import check_input_file

    check_input_file(path)


def ratecard_import(
    file: Annotated[Path, typer.Argument(help="A rate card: .yaml, or .csv/.xlsx with a row per outcome.")],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    by: Annotated[str | None, typer.Option(help="Who proposes it, without a token (default: login name).")] = None,
    allow_cap_over_value: Annotated[
        bool, typer.Option(help="Import a contract cap above the contract's value (needs --reason).")
    ] = False,
    reason: Annotated[
        str | None, typer.Option(help="Why the cap may exceed the value (kept in the audit log).")
    ] = None,
    token: Annotated[str | None, typer.Option(help=TOKEN_HELP)] = None,
) -> None:
    """Propose a rate card version; a second finance user approves it (`commission approve ID`). The same file
    as a stored version changes nothing.

    A contract cap above the contract's value is refused unless --allow-cap-over-value --reason TEXT.
    """
    from flows.cli.approvals import show_proposal
    from flows.pbr.ratecards import propose_rate_card

    readable(file)  # a folder, a missing or empty file: said as such, before its suffix is looked at
    cfg = settings()
    result = propose_rate_card(
        cfg,
        file,
        as_of=write_as_of(None, cfg),
        actor=identity(token, by, cfg)[0],
        allow_cap_over_value=allow_cap_over_value,
        reason=reason,
    )
    if as_json:
        print_json(result)
        return
    if result["proposal"] is None:
        console.print(
            f"Already there, unchanged: the rate card for {result['contract']} from {result['effective_from']} "
            f"({result['outcomes']} outcomes).",
            markup=False,
        )
        return
    if result["pending"]:
        console.print("Already proposed and waiting for approval; this is that proposal.", markup=False)
    show_proposal(result["proposal"], cfg)


def participants_import(
    file: Annotated[Path, typer.Argument(help="Participants, .csv or .xlsx (see the README).")],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    by: Annotated[str | None, typer.Option(help="Who is importing (default: COMMISSIONING_ACTOR).")] = None,
) -> None:
    """Import participants with their referral dates; ineligible referrals are listed (their claims are refused)."""
    from flows.pbr.participants import import_participants

    cfg = settings()
    result = import_participants(cfg, file, as_of=write_as_of(None, cfg), actor=actor(by, cfg))
    if as_json:
        print_json(result.as_dict())
        return
    console.print(
        f"Participants: {result.added:,} added, {result.unchanged:,} already there unchanged "
        f"({', '.join(result.contracts)}).",
        markup=False,
    )
    for line in result.ineligible[:SHOWN]:
        err_console.print(f"not eligible: {line}", markup=False)
    if len(result.ineligible) > SHOWN:
        err_console.print(f"... and {len(result.ineligible) - SHOWN:,} more not eligible", markup=False)


def participants_correct(
    contract: Annotated[str, typer.Argument(help="The contract reference.")],
    participant: Annotated[str, typer.Argument(help="The participant reference.")],
    reason: Annotated[str, typer.Option(help="Why the facts were wrong (kept in the history).")],
    date_of_birth: Annotated[str | None, typer.Option(help="The right date of birth (ISO date).")] = None,
    referral_date: Annotated[str | None, typer.Option(help="The right referral date (ISO date).")] = None,
    attribute: Annotated[
        list[str] | None, typer.Option(help="An eligibility attribute, NAME=VALUE (repeat for several).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    as_of: Annotated[str | None, typer.Option(help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option(help="Who corrects (default: COMMISSIONING_ACTOR).")] = None,
) -> None:
    """Correct a participant's date of birth, referral date or attributes; the next run re-decides their claims."""
    from flows.cli.common import iso_date_option
    from flows.pbr.participant_corrections import correct_participant

    pairs = {}
    for given in attribute or []:
        name, sep, value = given.partition("=")
        if not sep or not name.strip():
            raise UserError(f"--attribute: {given!r} is not NAME=VALUE")
        pairs[name.strip()] = value.strip()
    cfg = settings()
    result = correct_participant(
        cfg, contract.upper(), participant,
        date_of_birth=iso_date_option("--date-of-birth", date_of_birth, None) if date_of_birth else None,  # type: ignore[arg-type]
        referral_date=iso_date_option("--referral-date", referral_date, None) if referral_date else None,  # type: ignore[arg-type]
        attributes=pairs, reason=reason, as_of=write_as_of(as_of, cfg), actor=actor(by, cfg),
    )  # fmt: skip
    if as_json:
        print_json(result)
        return
    if not result["changed"]:
        console.print(f"{result['contract']} {result['participant']}: already so; nothing changed.", markup=False)
        return
    changes = [f"{k} {result['before'][k]} -> {v}" for k, v in result["after"].items() if result["before"][k] != v]
    console.print(
        f"{result['contract']} {result['participant']}: {'; '.join(changes)}. "
        "Their claims are re-decided at the next payment run.",
        markup=False,
    )


def claims_import(
    file: Annotated[Path, typer.Argument(help="Claims, .csv or .xlsx (see the README).")],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            help="Also write, to this CSV, every rejected or partly accepted claim by line; or, when the file is "
            "refused as malformed, every problem (line, field, reason)."
        ),
    ] = None,
    by: Annotated[str | None, typer.Option(help="Who is importing (default: COMMISSIONING_ACTOR).")] = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help=NO_WAIT_HELP)] = False,
) -> None:
    """Validate a claims file against the rate card and store every claim with its verdict and reasons, or nothing.

    A malformed row refuses the whole file (exit 1), naming every problem's line, field and reason.
    """
    from flows.pbr.claims_check import check_claims

    readable(file)  # before Prefect starts: a missing file is refused at once
    cfg = settings()
    when, who = write_as_of(None, cfg), actor(by, cfg)  # who first: a token without the role reads no file
    # Before Prefect starts, the header and first rows are read and checked (cells, contract, outcome code) by
    # the reading the flow uses: a wrong header, contract or code is refused in a moment. The flow checks every
    # row, naming every problem (and writing them to --report).
    check_claims(cfg, file, report=report)
    result = run_flow(cfg, "import-claims", as_json=as_json, here=report is not None,  # --report is written here
                      wait=not no_wait, path=str(file.resolve()), as_of=when.isoformat(), actor=who,
                      report=None if report is None else str(report.resolve()))  # fmt: skip
    if as_json:
        print_json(result)
        return
    console.print(
        f"{file}: {result['rows']:,} row(s): {result['accepted']:,} accepted, {result['partly_accepted']:,} partly "
        f"accepted, {result['rejected']:,} rejected, {result['unchanged']:,} already imported (unchanged).",
        markup=False,
    )
    if not result["added"]:
        return
    console.print(
        f"Claimed £{money_text(result['claimed'])}; payable £{money_text(result['payable'])}; "
        f"capped £{money_text(result['capped'])}.",
        markup=False,
    )
    rejections = result["rejections"]
    if rejections:
        console.print("Rejected or partly accepted, by line:", markup=False)
        for r in rejections[:SHOWN]:
            console.print(
                f"  line {r['line']}  {r['claim_ref']}  {r['participant']}  {r['outcome']}  {r['verdict']}  "
                f"payable £{money_text(r['payable'])} of "
                + ("no amount" if r["claimed"] is None else f"£{money_text(r['claimed'])}"),
                markup=False,
            )
            for code, sentence in zip(r["reasons"], r["sentences"], strict=True):
                console.print(f"      {code}: {sentence}", markup=False)
        listed = result["rejected"] + result["partly_accepted"]  # the result lists the first ones only
        if listed > SHOWN:
            console.print(f"  ... and {listed - SHOWN:,} more (--report FILE lists them all)", markup=False)
