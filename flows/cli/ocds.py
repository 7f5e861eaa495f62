"""commission ocds validate / import / export: open contracting data in and out."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli.common import AS_OF_HELP, JSON_HELP, actor, console, err_console, print_json, settings, write_as_of
from flows.common.errors import UserError

if TYPE_CHECKING:
    from flows.ocds.schemas import Profile

PROFILE_HELP = "core: OCDS 1.1.5; uk: the EU profile with the UK extension (Find a Tender)."


def register(app: typer.Typer) -> None:
    ocds = typer.Typer(help="Open contracting data (OCDS 1.1.5): validate, import, export.", no_args_is_help=True)
    ocds.command("validate")(ocds_validate)
    ocds.command("import")(ocds_import)
    ocds.command("export")(ocds_export)
    app.add_typer(ocds, name="ocds")


def _profile(text: str) -> "Profile":
    from flows.ocds.schemas import Profile

    try:
        return Profile(text.strip().lower())
    except ValueError:
        raise UserError(f"{text!r} is not a profile; use core or uk") from None


def ocds_validate(
    file: Annotated[
        Path, typer.Argument(help="A release or record package (.json), JSON Lines (.jsonl), or a directory of them.")
    ],
    profile: Annotated[str, typer.Option(help=PROFILE_HELP)] = "core",
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
) -> None:
    """Check a file (or a folder's files) against the OCDS schema and as the import reads it; list each error
    with its file and JSON path."""
    from flows.ocds.validation import SHOWN, check_target
    from policies.dates import local_date

    chosen = _profile(profile)
    cfg = settings()
    today = local_date(write_as_of(as_of, cfg), cfg.timezone)
    problems = check_target(file, chosen, today=today, zone=cfg.timezone)
    if not problems:
        console.print(f"{file}: valid OCDS ({chosen.value} profile).", markup=False)
        return
    for where, problem in problems[:SHOWN]:
        err_console.print(f"{where}: {problem}", markup=False, soft_wrap=True)
    if len(problems) > SHOWN:
        err_console.print(f"... and {len(problems) - SHOWN:,} more", markup=False)
    raise UserError(f"{file}: {len(problems):,} problem(s) against the {chosen.value} profile or as imported")


SHOWN = 20  # refs, problems and fields listed by name; the rest are counted


def _names(items: list[str]) -> str:
    more = f" and {len(items) - SHOWN:,} more" if len(items) > SHOWN else ""
    return ", ".join(items[:SHOWN]) + more


def ocds_import(
    target: Annotated[Path, typer.Argument(help="An OCDS file (.json, .jsonl) or a directory of them.")],
    strict: Annotated[bool, typer.Option(help="Refuse the whole import if any file has a problem.")] = False,
    report: Annotated[Path | None, typer.Option(help="Write the full import report here (JSON).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who is acting.")] = None,
) -> None:
    """Import processes from Contracts Finder or Find a Tender: each a project, each award a contract."""
    from flows.common.files import write_whole
    from flows.ocds.importing import import_ocds
    from flows.ocds.jsontext import dumps

    cfg = settings()
    with _progress() as tick:
        result = import_ocds(
            cfg, target, as_of=write_as_of(as_of, cfg), actor=actor(by, cfg), strict=strict, progress=tick
        )
    data = result.as_data()
    if report is not None:
        write_whole(report, (dumps(data, indent=2) + "\n").encode())
    if as_json:
        print_json(data)
        return
    for file, problems in result.refused_files.items():
        for problem in problems[:SHOWN]:
            err_console.print(f"REFUSED {file}: {problem}", markup=False, soft_wrap=True)
        if len(problems) > SHOWN:
            err_console.print(f"REFUSED {file}: ... and {len(problems) - SHOWN:,} more problems", markup=False)
    say = console.print
    say(f"Read {result.releases:,} release(s) from {result.files:,} file(s).", markup=False)
    lines = (  # each kind of outcome, said only when there is some: {n} is how many, {names} which
        (result.projects_added, "Added {n} project(s): {names}."),
        (result.contracts_added, "Added {n} contract(s): {names}."),
        (result.varied, "Varied {n} contract(s): {names}."),
        (result.unchanged, "Already there, unchanged: {n} process(es)."),
        (result.skipped, "No contract made for {n} award(s): {names}."),
        (result.not_read, "Performance published but not read ({n}): {names}."),
        (result.refused_processes, "Refused {n} process(es) of files with problems."),
    )
    for items, line in lines:
        if items:
            names = _names(items) if "{names}" in line else ""
            say(line.format(n=f"{len(items):,}", names=names), markup=False)
    if result.unmapped:
        say(f"Fields kept as they came but not mapped ({len(result.unmapped)}):", markup=False)
        for entry in data["unmapped_fields"]:
            outside = " (outside the schema)" if entry["outside_schema"] else ""
            say(f"  {entry['field']}{outside}: {entry['processes']:,} process(es)", markup=False)
    if result.refused_files:
        raise typer.Exit(1)


def _progress() -> Any:
    """A progress bar on standard error over the files read (shown for more than a few files, on a terminal)."""
    import contextlib

    from rich.console import Console
    from rich.progress import Progress

    @contextlib.contextmanager
    def bar() -> Any:
        progress = Progress(console=Console(stderr=True), transient=True)
        task = None

        def tick(done: int, total: int) -> None:
            nonlocal task
            if total < 20:
                return
            if task is None:
                progress.start()
                task = progress.add_task("Reading OCDS files", total=total)
            progress.update(task, completed=done)

        try:
            yield tick
        finally:
            if task is not None:
                progress.stop()

    return bar()


def ocds_export(
    output: Annotated[Path, typer.Option("-o", "--output", help="Write the package to this file.")],
    contract: Annotated[str | None, typer.Option(help="Export one contract (with its project's tender).")] = None,
    project: Annotated[str | None, typer.Option(help="Export one project and its contracts.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Export every project and contract.")] = False,
    profile: Annotated[str, typer.Option(help=PROFILE_HELP)] = "core",
    compiled: Annotated[bool, typer.Option(help="A record package, with each process's compiled release.")] = False,
    include_contacts: Annotated[
        bool, typer.Option(help="Include the providers' contact points (as imported); left out by default.")
    ] = False,
    ocid_prefix: Annotated[
        str, typer.Option(help="Your registered OCDS prefix, for projects that were not imported.")
    ] = "ocds-commissioning",
    publisher: Annotated[str, typer.Option(help="The publisher's name, in the package.")] = "commissioning",
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
) -> None:
    """Publish contracts as OCDS 1.1.5, validated against the profile before the file is written."""
    from flows.cli.common import as_of_instant
    from flows.ocds.exporting import export_ocds

    if sum((contract is not None, project is not None, all_)) != 1:
        raise UserError("say what to export: one of --contract REF, --project REF or --all")
    cfg = settings()
    chosen = _profile(profile)
    result = export_ocds(
        cfg,
        output,
        contract=contract,
        project=project,
        profile=chosen,
        compiled=compiled,
        include_contacts=include_contacts,
        as_of=as_of_instant(as_of, cfg),
        ocid_prefix=ocid_prefix,
        publisher=publisher,
    )
    kind = "record package" if compiled else "release package"
    console.print(
        f"Wrote {output}: a {kind} of {result.releases:,} release(s) for {result.contracts:,} contract(s) in "
        f"{result.processes:,} process(es), valid against the {chosen.value} profile "
        f"(validation {result.validation_seconds:.1f} s).",
        markup=False,
    )
    if chosen.value == "uk":
        console.print(
            f"Performance: {result.kpis:,} KPI(s) as agreedMetrics, {result.readings:,} rated reading(s) as "
            f"observations, {result.notices:,} notice(s) published as UK9 documents.",
            markup=False,
        )
