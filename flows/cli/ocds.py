"""commission ocds validate / import / export: open contracting data in and out."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, err_console
from flows.common.errors import UserError

if TYPE_CHECKING:
    from flows.ocds.schemas import Profile

PROFILE_HELP = "core: OCDS 1.1.5; uk: the EU profile with the UK extension (Find a Tender)."


def register(app: typer.Typer) -> None:
    ocds = typer.Typer(help="Open contracting data (OCDS 1.1.5): validate, import, export.", no_args_is_help=True)
    ocds.command("validate")(ocds_validate)
    app.add_typer(ocds, name="ocds")


def _profile(text: str) -> "Profile":
    from flows.ocds.schemas import Profile

    try:
        return Profile(text.strip().lower())
    except ValueError:
        raise UserError(f"{text!r} is not a profile; use core or uk") from None


def ocds_validate(
    file: Annotated[Path, typer.Argument(help="A release or record package (.json), or JSON Lines (.jsonl).")],
    profile: Annotated[str, typer.Option(help=PROFILE_HELP)] = "core",
) -> None:
    """Check a file against the OCDS schema; list each error with its JSON path."""
    from flows.ocds.validation import SHOWN, validate_file

    chosen = _profile(profile)
    problems = validate_file(file, chosen)
    if not problems:
        console.print(f"{file}: valid OCDS ({chosen.value} profile).", markup=False)
        return
    for problem in problems[:SHOWN]:
        err_console.print(f"{file}: {problem}", markup=False, soft_wrap=True)
    if len(problems) > SHOWN:
        err_console.print(f"... and {len(problems) - SHOWN:,} more", markup=False)
    raise UserError(f"{file}: {len(problems):,} schema error(s) against the {chosen.value} profile")
