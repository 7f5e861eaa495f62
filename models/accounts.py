"""Local accounts: users with their roles, provider organisations, and each user's tokens.

Passwords are stored only as argon2 hashes (made in flows/accounts/), tokens only as SHA-256 digests (a token
is 32 random bytes, so a fast digest is safe and lets a request find its token by one indexed look-up).
"""

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, delete, text
from sqlmodel import Field, Session, SQLModel, col, select

from models.db import UTCDateTime
from policies.accounts.roles import Role

API, CALENDAR = "api", "calendar"  # what a token opens: the JSON API, or the user's calendar feed


class ProviderOrganisation(SQLModel, table=True):
    """A provider organisation; its contracts are those whose provider is one of its provider names."""

    __tablename__ = "provider_organisation"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    provider_names: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class UserAccount(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=40, unique=True, index=True)
    display_name: str = Field(max_length=120)
    password_hash: str = Field(max_length=200)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    organisation_id: int | None = Field(default=None, foreign_key="provider_organisation.id")
    disabled: bool = False
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sso_subject: str | None = Field(default=None, max_length=600, unique=True, index=True)  # "<issuer> <subject>"

    def public(self, organisation: str | None) -> dict[str, Any]:
        """The account as pages and the API show it: never its password hash."""
        return {
            "username": self.username,
            "display_name": self.display_name,
            "roles": sorted(self.roles),
            "organisation": organisation,
            "disabled": self.disabled,
            "created_at": self.created_at.isoformat(),
        }


class UserToken(SQLModel, table=True):
    """An API token or a calendar-feed token: only its digest is kept; revoked tokens stay, for the record."""

    __tablename__ = "user_token"
    __table_args__ = (UniqueConstraint("digest", name="uq_user_token_digest"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    purpose: str = Field(max_length=12)
    name: str = Field(max_length=80)
    digest: str = Field(max_length=64)
    hint: str = Field(max_length=8)  # the token's first characters, so a person can tell two apart
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class SignInFailure(SQLModel, table=True):
    """A wrong password, kept for the sign-in throttle (policies/accounts/throttle.py) so that every web process
    counts the same failures. The key (a user name, an address) is kept only as its keyed digest
    (flows/accounts/throttling.py): a user-name box sometimes holds a password typed in the wrong box."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (Index("ix_sign_in_failure_key_at", "key_digest", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key_digest: str = Field(max_length=64)
    at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


# --------------------------------------------------------------------------- repositories (they never commit)


def failures_since(
    *, session: Session, key_digest: str, since: dt.datetime, besides: Collection[int] = ()
) -> list[dt.datetime]:
    """When the key failed after ``since``, oldest first; the failures ``besides`` names not among them."""
    stmt = select(SignInFailure.at).where(SignInFailure.key_digest == key_digest, SignInFailure.at > since)
    if besides:
        stmt = stmt.where(col(SignInFailure.id).not_in(list(besides)))
    return list(session.exec(stmt.order_by(col(SignInFailure.at))))


def add_failure(*, session: Session, key_digest: str, at: dt.datetime, forget_before: dt.datetime) -> int:
    """The failure, and every failure too old to count any more forgotten; its id."""
    session.execute(delete(SignInFailure).where(col(SignInFailure.at) < forget_before))
    failure = SignInFailure(key_digest=key_digest, at=at)
    session.add(failure)
    session.flush()  # its id, now
    return int(failure.id or 0)


def remove_failures(*, session: Session, ids: Collection[int]) -> None:
    session.execute(delete(SignInFailure).where(col(SignInFailure.id).in_(list(ids))))


def clear_failures(*, session: Session, key_digest: str) -> None:
    session.execute(delete(SignInFailure).where(col(SignInFailure.key_digest) == key_digest))


def get_user(*, session: Session, username: str, for_update: bool = False) -> UserAccount | None:
    stmt = select(UserAccount).where(UserAccount.username == username)
    return session.exec(stmt.with_for_update() if for_update else stmt).first()


def user_by_sso(*, session: Session, sso_subject: str) -> UserAccount | None:
    return session.exec(select(UserAccount).where(UserAccount.sso_subject == sso_subject).with_for_update()).first()


def user_by_id(*, session: Session, user_id: int) -> UserAccount | None:
    return session.get(UserAccount, user_id)


def list_users(*, session: Session) -> list[UserAccount]:
    return list(session.exec(select(UserAccount).order_by(col(UserAccount.username))))


# PostgreSQL advisory lock class ("acc"): account changes made without a token queue on it (see lock_accounts).
ACCOUNTS_LOCK = 0x616363


def lock_accounts(*, session: Session) -> None:
    """Hold the accounts' lock to the end of this transaction, so that its check that no active admin exists and
    its write are not interleaved with another's: two first-admin commands started together run one after the
    other, and the second sees the first's admin. On PostgreSQL a transaction-level advisory lock (each statement
    after it reads what committed before it was granted); on SQLite the write transaction (BEGIN IMMEDIATE)
    already holds the database's one write lock."""
    if session.connection().dialect.name == "postgresql":
        session.connection().execute(text("SELECT pg_advisory_xact_lock(:k, 0)"), {"k": ACCOUNTS_LOCK})


def has_active_admin(*, session: Session) -> bool:
    """Whether a user who is not disabled has the role admin."""
    return any(Role.ADMIN.value in u.roles and not u.disabled for u in list_users(session=session))


def count_users(*, session: Session) -> int:
    return len(list(session.exec(select(UserAccount.id))))


def get_organisation(*, session: Session, name: str) -> ProviderOrganisation | None:
    return session.exec(select(ProviderOrganisation).where(ProviderOrganisation.name == name)).first()


def organisation_by_id(*, session: Session, organisation_id: int) -> ProviderOrganisation | None:
    return session.get(ProviderOrganisation, organisation_id)


def list_organisations(*, session: Session) -> list[ProviderOrganisation]:
    return list(session.exec(select(ProviderOrganisation).order_by(col(ProviderOrganisation.name))))


def live_token(*, session: Session, digest: str, purpose: str) -> UserToken | None:
    stmt = select(UserToken).where(
        UserToken.digest == digest, UserToken.purpose == purpose, col(UserToken.revoked_at).is_(None)
    )
    return session.exec(stmt).first()


def tokens_of(*, session: Session, user_id: int, purpose: str | None = None) -> list[UserToken]:
    stmt = select(UserToken).where(UserToken.user_id == user_id)
    if purpose is not None:
        stmt = stmt.where(UserToken.purpose == purpose)
    return list(session.exec(stmt.order_by(col(UserToken.id))))


def token_by_id(*, session: Session, token_id: int, for_update: bool = False) -> UserToken | None:
    stmt = select(UserToken).where(UserToken.id == token_id)
    return session.exec(stmt.with_for_update() if for_update else stmt).first()
