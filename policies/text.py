"""One-line text: an id, a reference or a name holds no line break and no other control character.

Rule: a cell that names something (a claim reference, a participant's id, a contract's reference, a provider's
or a KPI's name, an outcome code) is one line of printable text. A line break or a control character in it
(a tab, a carriage return, an escape, U+2028) would split it across lines in every report, CSV and page that
shows it, or hide what it says, so such a cell is refused, naming its file, line and field.

Worked example: a claims file's line 7 with claim_ref ``"NB-0049\\nNB-0050"`` (a quoted cell spanning two
lines) is refused as ``claims.csv:7: claim_ref: contains a line break/control character``.
"""

import re

CONTROL = "contains a line break/control character"
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators (str.splitlines breaks on them).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
has_control = _CONTROL.search  # a match (truthy) when ``text`` holds one; one C call, for the million-row files


def not_one_line(text: str) -> str | None:
    """``CONTROL`` if ``text`` holds a line break or another control character, else None."""
    return CONTROL if has_control(text) else None
