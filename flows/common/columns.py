"""Columns a file may not carry: a misspelling of a known column, refused by name rather than silently read as
absent (``refuse_unknown_columns`` for files whose every column means something, ``refuse_near_misses`` for
files that may carry columns of their own)."""

from collections.abc import Iterable, Sequence
from difflib import get_close_matches

from flows.common.errors import UserError
from flows.common.tabular import Table

SHOWN = 10  # unknown columns named in the message: a file of a million made one of megabytes, slowly
LONGEST = 60  # characters of a column's name shown: a name may be as long as the file


def refuse_near_misses(table: Table, optional: Sequence[str]) -> None:
    """For files that may carry columns of their own: one named nearly as an optional column that is not there
    (amout for amount) is an error naming both, rather than the optional column silently read as absent."""
    absent = [name.strip().lower() for name in optional if name.strip().lower() not in table.columns]
    said = near_misses(table.columns, absent)
    if said:
        raise UserError(f"{table.where(table.header_line)}: unknown column(s): {', '.join(said)}; rename it, or the "
                        f"column it stands for is read as empty")  # fmt: skip


def near_misses(names: Iterable[str], known: Sequence[str]) -> list[str]:
    """Each of ``names`` spelt nearly as one of ``known`` (``date_of_brith``), said with the name it stands for;
    the check of a file's header and of a correction's attribute names (participant_corrections.py)."""
    said: list[str] = []
    for name in names:
        # difflib's own first test (real_quick_ratio), made before it builds a matcher for the name: a header of
        # 200,000 columns took 19 s of CPU
        if not any(2 * min(len(name), len(a)) >= 0.8 * (len(name) + len(a)) for a in known):
            continue
        close = get_close_matches(name, known, n=1, cutoff=0.8)
        if close and len(said) == SHOWN:
            said.append("and more")
            break
        if close:
            said.append(f"{_shown(name)!r} (did you mean {close[0]!r}?)")
    return said


def refuse_unknown_columns(table: Table, known: Sequence[str]) -> None:
    """For files whose every column means something: a column not in ``known`` (a misspelling such as
    brake_on) is an error naming it and the nearest known name, rather than silently ignored."""
    names = [name.strip().lower() for name in known]
    unknown = [name for name in table.columns if name not in names]
    if not unknown:
        return
    said = []
    for name in unknown[:SHOWN]:
        close = get_close_matches(_shown(name), names, n=1, cutoff=0.6)
        said.append(f"{_shown(name)!r} (did you mean {close[0]!r}?)" if close else repr(_shown(name)))
    if len(unknown) > SHOWN:
        said.append(f"and {len(unknown) - SHOWN:,} more")
    raise UserError(
        f"{table.where(table.header_line)}: unknown column(s): {', '.join(said)}; the known columns are "
        f"{', '.join(names)}"
    )


def _shown(name: str) -> str:
    return name if len(name) <= LONGEST else f"{name[: LONGEST - 3]}..."
