"""Users: adding one, listing, disabling, changing roles, checking a password, and who is signed in.

Every change is one transaction with its event (entity "user"); a password is hashed with argon2 and never
written anywhere else, events included.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from models.accounts import (
    UserAccount,
    count_users,
    get_organisation,
    get_user,
    has_active_admin,
    list_organisations,
    list_users,
    lock_accounts,
    organisation_by_id,
    user_by_id,
)
from models.db import reading, unit_of_work
from models.events import append_event
from policies.accounts.roles import Role, membership_problem, parse_roles, password_problem, username_problem

_HASHER = PasswordHasher()
# Compared against when the user is unknown, so that a wrong name takes as long as a wrong password: the hash of a
# random password no one kept, made once with _HASHER's parameters (tests/unit/accounts/test_dummy_hash.py checks
# they are still its own). Hashing one here at import took 0.23 s of CPU (0.8 s on two busy cores) from every
# command given a token (`commission approve`), before it did anything.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$fygnek03XNMVSab82gfUOA$eHR64waAXZXupR/KlsADu66y/PFtQvlQWnWz0Pux6Gw"


@dataclass(frozen=True)
class Principal:
    """Who is signed in: what every page and API call is checked against."""

    user_id: int
    username: str
    display_name: str
    roles: frozenset[Role]
    organisation: str | None = None
    provider_names: tuple[str, ...] = ()

    def has(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_provider(self) -> bool:
        return Role.PROVIDER in self.roles

    def sees_provider(self, provider: str) -> bool:
        """Whether this user may see a contract of ``provider``: everyone but a provider sees them all."""
        return not self.is_provider or provider in self.provider_names


NEEDS_ADMIN_TOKEN = (
    "an administrator exists, and this installation refuses account changes without a user token: "
    "give an admin's token as COMMISSIONING_TOKEN "
    "(an admin makes an API token on the web app's admin page, /admin)"
)


def refuse_tokenless_once_admin_exists(session: Session, *, tokenless: bool) -> None:
    """For an account change made without a token (allowed only to make the first admin): take the accounts' lock
    and refuse if an active admin exists, in the change's own transaction, before it writes. Checked apart from
    the write, two such commands started together could each find no admin and both make one."""
    if not tokenless:
        return
    lock_accounts(session=session)
    if has_active_admin(session=session):
        raise UserError(NEEDS_ADMIN_TOKEN)


def _event(session: Session, username: str, action: str, *, actor: str, **fields: Any) -> None:
    append_event(
        session=session,
        effective_at=dt.datetime.now(dt.UTC),
        actor=actor,
        entity="user",
        entity_ref=username,
        action=action,
        **fields,
    )


def _require_user(session: Session, username: str, *, for_update: bool = False) -> UserAccount:
    user = get_user(session=session, username=username.strip().lower(), for_update=for_update)
    if user is None:
        raise UserError(f"no user named {username!r}; `commission users list` lists them")
    return user


def _organisation_id(session: Session, name: str | None) -> int | None:
    if not name:
        return None
    organisation = get_organisation(session=session, name=name.strip())
    if organisation is None:
        known = ", ".join(o.name for o in list_organisations(session=session)) or "none yet"
        raise UserError(
            f"no provider organisation named {name!r} (known: {known}); add it with `commission users organisation`"
        )
    return organisation.id


def add_user(
    settings: Settings,
    *,
    username: str,
    display_name: str,
    roles: Iterable[str],
    password: str,
    organisation: str | None,
    actor: str,
    tokenless: bool = False,
) -> dict[str, Any]:
    """Add a user with a password and roles; every problem is refused before anything is written. ``tokenless``:
    made without a token, so refused once an active admin exists (``refuse_tokenless_once_admin_exists``)."""
    username = username.strip().lower()
    chosen, problems = parse_roles(list(roles))
    problems += [p for p in (username_problem(username), password_problem(password, username)) if p]
    if not chosen and not problems:
        problems.append("a user needs at least one role")
    if not display_name.strip() or len(display_name.strip()) > 120:
        problems.append("the display name must be 1-120 characters")
    why = membership_problem(chosen, organisation)
    if why and not problems:
        problems.append(why)
    if problems:
        raise UserError("; ".join(problems))
    with unit_of_work(database(settings)) as session:
        refuse_tokenless_once_admin_exists(session, tokenless=tokenless)
        if get_user(session=session, username=username) is not None:
            raise UserError(f"user {username} already exists")
        user = UserAccount(
            username=username,
            display_name=display_name.strip(),
            password_hash=_HASHER.hash(password),
            roles=sorted(r.value for r in chosen),
            organisation_id=_organisation_id(session, organisation),
            created_at=dt.datetime.now(dt.UTC),
        )
        session.add(user)
        public = user.public(organisation.strip() if organisation else None)
        _event(session, username, "UserAdded", actor=actor, after=public)
    return public


def users(settings: Settings) -> list[dict[str, Any]]:
    """Every user, by name, with roles and organisation (no password hash)."""
    with unit_of_work(database(settings)) as session:
        names = {o.id: o.name for o in list_organisations(session=session)}
        return [u.public(names.get(u.organisation_id)) for u in list_users(session=session)]


def disable_user(settings: Settings, *, username: str, actor: str, tokenless: bool = False) -> dict[str, Any]:
    """Stop a user signing in (their sessions and tokens stop working at their next request)."""
    with unit_of_work(database(settings)) as session:
        refuse_tokenless_once_admin_exists(session, tokenless=tokenless)
        user = _require_user(session, username, for_update=True)
        if not user.disabled:
            user.disabled = True
            session.add(user)
            _event(session, user.username, "UserDisabled", actor=actor, after={"disabled": True})
        return user.public(None)


def set_roles(
    settings: Settings,
    *,
    username: str,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    actor: str,
    tokenless: bool = False,
) -> dict[str, Any]:
    """Give a user roles and take others away; the result must still be a valid set of roles."""
    adding, problems = parse_roles(list(add))
    removing, more = parse_roles(list(remove))
    if problems + more:
        raise UserError("; ".join(problems + more))
    with unit_of_work(database(settings)) as session:
        refuse_tokenless_once_admin_exists(session, tokenless=tokenless)
        user = _require_user(session, username, for_update=True)
        before = sorted(user.roles)
        after = (frozenset(Role(r) for r in user.roles) | adding) - removing
        if not after:
            raise UserError(f"user {user.username} would have no role left; disable the user instead")
        organisation = organisation_by_id(session=session, organisation_id=user.organisation_id or 0)
        why = membership_problem(after, organisation.name if organisation else None)
        if why:
            raise UserError(f"user {user.username}: {why}")
        user.roles = sorted(r.value for r in after)
        if user.roles != before:
            session.add(user)
            _event(
                session,
                user.username,
                "RolesChanged",
                actor=actor,
                before={"roles": before},
                after={"roles": user.roles},
            )
        return user.public(organisation.name if organisation else None)


def authenticate(settings: Settings, *, username: str, password: str) -> Principal | None:
    """The user, if the name and password match an enabled account; None otherwise (which one is not said)."""
    with unit_of_work(database(settings)) as session:
        user = get_user(session=session, username=username.strip().lower())
        try:
            _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None or user.disabled:
            return None
        return principal_of(session, user)


def principal_for(settings: Settings, user_id: int) -> Principal | None:
    """The signed-in user by id, or None if the account is gone or disabled."""
    with reading(database(settings)) as session:
        user = user_by_id(session=session, user_id=user_id)
        return None if user is None or user.disabled else principal_of(session, user)


def principal_of(session: Session, user: UserAccount) -> Principal:
    """The Principal of a loaded account (in the caller's session)."""
    organisation = organisation_by_id(session=session, organisation_id=user.organisation_id or 0)
    if user.id is None:
        raise ValueError("user not saved")
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=frozenset(Role(r) for r in user.roles),
        organisation=organisation.name if organisation else None,
        provider_names=tuple(organisation.provider_names) if organisation else (),
    )


def active_admin_exists(settings: Settings) -> bool:
    """Whether some user who is not disabled has the role admin: after that, accounts are an admin's to change."""
    with reading(database(settings)) as session:
        return has_active_admin(session=session)


FIRST_ADMIN = "commission users add {name} --name 'Your Name' --role admin"


def first_admin_hint(settings: Settings) -> str | None:
    """The command that makes the first admin, when the database has no user yet (``serve`` prints it)."""
    with unit_of_work(database(settings)) as session:
        if count_users(session=session):
            return None
    return (
        "No one can sign in yet: make the first administrator with\n  "
        + FIRST_ADMIN.format(name="admin")
        + "\n(it asks for the password), then add the others from the admin page or with `commission users add`."
    )
