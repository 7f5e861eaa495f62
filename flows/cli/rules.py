"""Which roles a user token needs for each command: the command line's counterpart of flows/web/rules.py.

A command run with a user token (``--token`` or COMMISSIONING_TOKEN) acts as that user, so it may do only what
the user's roles allow on the web: a commissioner's token cannot propose a payment run, a provider's cannot
import claims (providers upload their own organisation's files on the web, where the organisation is checked).
Without a token a write is recorded as the operating-system user, marked unauthenticated, where the approval
policy allows that at all (``identity`` in flows/cli/common.py); no role is claimed, so none is checked.

Every command is in ``COMMANDS`` (tests/unit/accounts/test_cli_rules.py compares it with the command line's commands):
``READS`` for the commands that read, and those that name nobody (set-up and operations: whoever runs
``init``, ``backup`` or ``serve`` holds the database itself). A command that names who acts and is missing here is
refused to every token, so a new command cannot be open by accident. An auditor is in no rule: they read
everything and change nothing.
"""

from policies.accounts.roles import Role

READS: frozenset[Role] | None = None

C, F, ADM = Role.COMMISSIONER, Role.FINANCE, Role.ADMIN
COMMISSIONERS = frozenset({C})
FINANCE = frozenset({F})
ADMINS = frozenset({ADM})

# set-up and operations: they name nobody
OPERATIONS = ("init", "demo", "backup", "restore", "deploy", "serve", "sweep", "deliver")
READ = (
    "policy show", "policy check", "projects", "show", "evidence list", "contracts show", "contracts list", "due",
    "calendar export", "procurement show", "reminders list", "reminders show", "participants list", "claims list",
    "reconcile", "proposals", "proposal", "runs list", "ratecards list", "ledger", "users list", "performance chart",
    "ocds validate", "ocds export",
)  # fmt: skip
# a commissioner's work: projects, evidence, records, procurement, contracts, decisions, reminders, performance
COMMISSIONING = (
    "project add", "project correct", "record", "advance", "evidence add", "evidence withdraw", "contracts add",
    "contracts import", "decide", "keydates handle", "procurement plan", "procurement set", "reminders ack",
    "reminders snooze", "kpis set", "kpis import", "kpis correct", "performance override", "performance breach",
    "notices prepare", "notices publish", "ocds import",
)  # fmt: skip
# finance: rate cards, participants, claims, payment runs, samples, clawbacks, recoveries, approvals
PAYING = (
    "ratecard import", "participants import", "participants correct", "claims import", "pay", "sample", "clawback",
    "recovery withdraw", "recovery correct", "approve", "reject",
)  # fmt: skip
ACCOUNTS = ("users add", "users disable", "users roles", "users organisation", "users token")

COMMANDS: dict[str, frozenset[Role] | None] = {
    **dict.fromkeys(OPERATIONS + READ, READS),
    **dict.fromkeys(COMMISSIONING, COMMISSIONERS),
    **dict.fromkeys(PAYING, FINANCE),
    **dict.fromkeys(ACCOUNTS, ADMINS),
}


def refusal(command: str, user: str, roles: frozenset[str]) -> str | None:
    """Why ``user`` (holding ``roles``) may not run ``command`` (its words after ``commission``), or None."""
    if command in COMMANDS and COMMANDS[command] is READS:
        return None
    needed = COMMANDS.get(command)
    if needed is not None and roles & {r.value for r in needed}:
        return None
    holds = ", ".join(sorted(roles)) or "no role"
    if needed is None:
        return f"`commission {command}` names who acts but has no rule for a user token; {user} may not run it"
    return f"{user} ({holds}) may not run `commission {command}`: it needs the role {' or '.join(sorted(needed))}"


def command_of(args: list[str]) -> str:
    """The command named by the command line's words: ``claims import`` from ``claims import f.csv --as-of X``."""
    two = " ".join(args[:2])
    return two if two in COMMANDS else (args[0] if args else "")
