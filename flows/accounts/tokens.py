"""API tokens and calendar-feed tokens: made at random, shown once, kept as a digest, revocable.

A calendar token is one per user (making a new one revokes the old), because its URL is what Outlook or
Google polls; API tokens are as many as the user names.
"""

import datetime as dt
import hashlib
import secrets
from typing import Any

from flows.accounts.users import Principal, principal_of, refuse_tokenless_once_admin_exists
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from models.accounts import API, CALENDAR, UserToken, get_user, live_token, token_by_id, tokens_of, user_by_id
from models.db import unit_of_work
from models.events import append_event

PURPOSES = (API, CALENDAR)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    settings: Settings, *, username: str, purpose: str, name: str, actor: str, tokenless: bool = False
) -> tuple[str, dict[str, Any]]:
    """A new token for the user: the token itself (to show once) and its public description."""
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    name = name.strip() or purpose
    if len(name) > 80:
        raise UserError("a token's name is at most 80 characters")
    token = secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(database(settings)) as session:
        refuse_tokenless_once_admin_exists(session, tokenless=tokenless)
        user = get_user(session=session, username=username, for_update=True)
        if user is None or user.id is None:
            raise UserError(f"no user named {username!r}")
        if user.disabled:
            raise UserError(f"user {username} is disabled")
        if purpose == CALENDAR:
            for old in tokens_of(session=session, user_id=user.id, purpose=CALENDAR):
                if old.revoked_at is None:
                    old.revoked_at = now
                    session.add(old)
        row = UserToken(
            user_id=user.id, purpose=purpose, name=name, digest=digest(token), hint=token[:6], created_at=now
        )
        session.add(row)
        session.flush()
        append_event(
            session=session,
            effective_at=now,
            actor=actor,
            entity="user",
            entity_ref=user.username,
            action="TokenCreated",
            after={"purpose": purpose, "name": name, "hint": row.hint},
        )
        return token, _public(row)


def revoke_token(settings: Settings, *, username: str, token_id: int, actor: str) -> dict[str, Any]:
    """Revoke one of the user's tokens; another user's token id is "no such token"."""
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(database(settings)) as session:
        user = get_user(session=session, username=username)
        row = token_by_id(session=session, token_id=token_id, for_update=True)
        if user is None or row is None or row.user_id != user.id:
            raise UserError(f"{username} has no token {token_id}")
        if row.revoked_at is None:
            row.revoked_at = now
            session.add(row)
            append_event(
                session=session,
                effective_at=now,
                actor=actor,
                entity="user",
                entity_ref=user.username,
                action="TokenRevoked",
                after={"purpose": row.purpose, "name": row.name, "hint": row.hint},
            )
        return _public(row)


def tokens(settings: Settings, *, username: str) -> list[dict[str, Any]]:
    with unit_of_work(database(settings)) as session:
        user = get_user(session=session, username=username)
        if user is None or user.id is None:
            return []
        return [_public(t) for t in tokens_of(session=session, user_id=user.id)]


def principal_for_token(settings: Settings, token: str, *, purpose: str) -> Principal | None:
    """The enabled user a live token of this purpose belongs to, or None."""
    if not token or len(token) > 200:
        return None
    with unit_of_work(database(settings)) as session:
        row = live_token(session=session, digest=digest(token), purpose=purpose)
        user = user_by_id(session=session, user_id=row.user_id) if row else None
        return None if user is None or user.disabled else principal_of(session, user)


def _public(row: UserToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "purpose": row.purpose,
        "name": row.name,
        "hint": row.hint,
        "created_at": row.created_at.isoformat(),
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }
