"""Single sign-on through OpenID Connect: the settings, which roles a token's claim gives, and the account of a
signed-on person (matched by the identity provider's subject, made at the first sign-on).

Settings come from the environment, the client secret from there only (it is never written, logged or shown):

    COMMISSIONING_OIDC_ISSUER         https://login.microsoftonline.com/<tenant>/v2.0 (Entra ID),
                                      https://accounts.google.com, or https://kc.example/realms/<realm> (Keycloak);
                                      discovery is <issuer>/.well-known/openid-configuration
    COMMISSIONING_OIDC_CLIENT_ID      the app registration's client id
    COMMISSIONING_OIDC_CLIENT_SECRET  its secret
    COMMISSIONING_OIDC_ROLES_CLAIM    the claim that carries roles or groups (default: roles)
    COMMISSIONING_OIDC_ROLE_MAP       claim value=role pairs, e.g. Commissioning.Finance=finance,Auditors=auditor
    COMMISSIONING_OIDC_NAME           what the sign-in button says (default: your organisation's account)

Example: with the map ``Commissioning.Finance=finance`` a token whose ``roles`` claim is
``["Commissioning.Finance", "Everyone"]`` signs its person in with the finance role; a token with no mapped value
is refused. The roles are taken again at every sign-on, so a change at the identity provider is followed. Provider
users are external and belong to an organisation: they keep local accounts (a map to ``provider`` is refused).
"""

import datetime as dt
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flows.accounts.users import _HASHER, Principal, _event, principal_of
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from models.accounts import UserAccount, get_user, user_by_sso
from models.db import unit_of_work
from policies.accounts.roles import Role, parse_roles

PREFIX = "COMMISSIONING_OIDC_"


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    roles_claim: str = "roles"
    role_map: Mapping[str, Role] = field(default_factory=dict)
    name: str = "your organisation's account"

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def oidc_settings(env: Mapping[str, str]) -> OidcSettings | None:
    """Single sign-on's settings, or None when COMMISSIONING_OIDC_ISSUER is unset; a UserError if half-set."""
    issuer = env.get(PREFIX + "ISSUER", "").strip()
    if not issuer:
        return None
    client_id = env.get(PREFIX + "CLIENT_ID", "").strip()
    secret = env.get(PREFIX + "CLIENT_SECRET", "")
    problems = [f"{PREFIX}{n} is not set" for n, v in (("CLIENT_ID", client_id), ("CLIENT_SECRET", secret)) if not v]
    if not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        problems.append(f"{PREFIX}ISSUER must be an https:// address")
    role_map: dict[str, Role] = {}
    for pair in filter(None, (p.strip() for p in env.get(PREFIX + "ROLE_MAP", "").split(","))):
        value, _, role_name = pair.rpartition("=")
        roles, bad = parse_roles([role_name])
        if not value or bad or len(roles) != 1:
            problems.append(f"{PREFIX}ROLE_MAP: {pair!r} is not value=role (roles: {', '.join(r.value for r in Role)})")
        elif Role.PROVIDER in roles:
            problems.append(f"{PREFIX}ROLE_MAP: {pair!r}: provider users keep local accounts")
        else:
            role_map[value.strip()] = next(iter(roles))
    if not role_map and not problems:
        problems.append(f"{PREFIX}ROLE_MAP is not set: no one signing on would have a role")
    if problems:
        raise UserError("single sign-on is not set up right: " + "; ".join(problems))
    return OidcSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=secret,
        roles_claim=env.get(PREFIX + "ROLES_CLAIM", "").strip() or "roles",
        role_map=role_map,
        name=env.get(PREFIX + "NAME", "").strip() or "your organisation's account",
    )


def mapped_roles(oidc: OidcSettings, claims: Mapping[str, Any]) -> frozenset[Role]:
    """The roles the token's roles (or groups) claim maps to; values not in the map give nothing."""
    given = claims.get(oidc.roles_claim) or []
    values = [given] if isinstance(given, str) else [v for v in given if isinstance(v, str)]
    return frozenset(oidc.role_map[v] for v in values if v in oidc.role_map)


def sso_principal(settings: Settings, oidc: OidcSettings, claims: Mapping[str, Any]) -> Principal:
    """The account of a person whose ID token was checked: found by issuer and subject, else made; roles set."""
    roles = mapped_roles(oidc, claims)
    if not roles:
        raise UserError(f"your account at {oidc.name} has no role in this service; ask your administrator")
    subject = f"{claims['iss']} {claims['sub']}"
    name = str(claims.get("name") or claims.get("email") or claims.get("preferred_username") or "")[:120].strip()
    with unit_of_work(database(settings)) as session:
        user = user_by_sso(session=session, sso_subject=subject)
        if user is None:
            user = UserAccount(
                username=_free_username(session, claims),
                display_name=name or "Signed on",
                password_hash=_HASHER.hash(secrets.token_urlsafe(32)),  # no one knows it: no local sign-in
                roles=sorted(r.value for r in roles),
                sso_subject=subject,
                created_at=dt.datetime.now(dt.UTC),
            )
            session.add(user)
            session.flush()
            _event(session, user.username, "UserAdded", actor=user.username, after={**user.public(None), "sso": True})
        elif user.disabled:
            raise UserError("your account here is disabled; ask your administrator")
        elif sorted(r.value for r in roles) != sorted(user.roles):
            before, user.roles = sorted(user.roles), sorted(r.value for r in roles)
            session.add(user)
            _event(session, user.username, "RolesChanged", actor=user.username, before={"roles": before},
                   after={"roles": user.roles, "from": "single sign-on"})  # fmt: skip
        return principal_of(session, user)


def _free_username(session: Any, claims: Mapping[str, Any]) -> str:
    """A user name from the person's e-mail or preferred name, with a number added if it is taken."""
    wanted = str(claims.get("preferred_username") or claims.get("email") or "user").split("@")[0].lower()
    base = re.sub(r"[^a-z0-9._-]", "", wanted)[:34] or "user"
    base = base if len(base) >= 2 else f"{base}-user"
    for n in range(1, 1000):
        candidate = base if n == 1 else f"{base}-{n}"
        if get_user(session=session, username=candidate) is None:
            return candidate
    raise UserError(f"no free user name for {base!r}; ask your administrator")
