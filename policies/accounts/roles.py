"""Who may do what: the five roles, and the rules for a user name and a password.

A user may hold several roles. A provider user belongs to exactly one provider organisation and sees only
that organisation's contracts; nobody else belongs to one. Example: Priya, a commissioner who also
administers the accounts, holds ``{commissioner, admin}``; Sam at Brightside Housing holds ``{provider}`` and
belongs to the organisation "Brightside Housing", whose contracts name the provider "Brightside Housing Ltd".
"""

import re
from enum import StrEnum


class Role(StrEnum):
    COMMISSIONER = "commissioner"
    FINANCE = "finance"
    PROVIDER = "provider"
    AUDITOR = "auditor"
    ADMIN = "admin"

    @property
    def may(self) -> str:
        """What the role may do, in words (for help and the admin page)."""
        return ROLE_MAY[self]


ROLE_MAY: dict[Role, str] = {
    Role.COMMISSIONER: "projects, evidence, records, procurement, contracts, decisions, reminders",
    Role.FINANCE: "rate cards, participants, payment runs, sampling, clawbacks, reconciliation",
    Role.PROVIDER: "their own organisation's contracts, claims, participants, payments and reconciliation",
    Role.AUDITOR: "reads everything, the audit log included; changes nothing",
    Role.ADMIN: "users, roles, provider organisations, tokens",
}

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 256


def parse_roles(names: list[str]) -> tuple[frozenset[Role], list[str]]:
    """The roles named (case and spaces ignored), and a sentence for each name that is not a role."""
    roles: set[Role] = set()
    problems: list[str] = []
    known = ", ".join(r.value for r in Role)
    for name in names:
        for part in name.split(","):
            word = part.strip().lower()
            if not word:
                continue
            try:
                roles.add(Role(word))
            except ValueError:
                problems.append(f"{part.strip()!r} is not a role; use {known}")
    return frozenset(roles), problems


def username_problem(name: str) -> str | None:
    """Why ``name`` cannot be a user name, or None."""
    if not USERNAME_RE.match(name):
        return f"user name {name!r} must be 2-40 lower-case letters, digits or . _ - (e.g. priya.shah)"
    return None


def password_problem(password: str, username: str) -> str | None:
    """Why ``password`` is not good enough, or None: long enough, not absurdly long, not the user name."""
    if len(password) < MIN_PASSWORD:
        return f"the password must be at least {MIN_PASSWORD} characters; a short phrase is easiest to remember"
    if len(password) > MAX_PASSWORD:
        return f"the password must be at most {MAX_PASSWORD} characters"
    if password.strip().lower() == username.lower():
        return "the password must not be the user name"
    return None


def membership_problem(roles: frozenset[Role], organisation: str | None) -> str | None:
    """A provider belongs to one organisation; no one else belongs to one."""
    if Role.PROVIDER in roles and not organisation:
        return "a provider user belongs to a provider organisation; name it with --organisation"
    if organisation and Role.PROVIDER not in roles:
        return "only a provider user belongs to a provider organisation"
    if Role.PROVIDER in roles and len(roles) > 1:
        return "a provider user holds only the provider role: their data must stay apart from the council's"
    return None
