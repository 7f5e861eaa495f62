"""Signing on through OpenID Connect (Authlib's Starlette client): the authorization-code flow with PKCE (S256).

``/sign-in/sso`` sends the browser to the identity provider with a fresh state, nonce and code challenge (kept in
the signed session cookie); ``/sign-in/sso/callback`` takes the code back, exchanges it with the verifier, and
accepts the ID token only if its signature (the provider's JWKS), issuer, audience (our client id), nonce and
expiry check out. The person's account and roles come from flows/accounts/sso.py. A failure is said in words;
the client secret and the tokens are never logged or shown.
"""

import logging
import warnings
from typing import Any

import httpx
from authlib.common.errors import AuthlibBaseError
from fastapi import APIRouter, FastAPI, HTTPException, Request
from joserfc.errors import JoseError
from starlette.concurrency import run_in_threadpool

from flows.accounts.sso import OidcSettings, sso_principal
from flows.common.errors import UserError
from flows.web.render import see_other

router = APIRouter(include_in_schema=False)
log = logging.getLogger("commissioning.web")


def set_up(app: FastAPI, oidc: OidcSettings | None) -> None:
    """Register the identity provider (its discovery document is read at the first sign-on, not now)."""
    app.state.oidc = oidc
    if oidc is None:
        return
    with warnings.catch_warnings():  # Authlib 1.9 warns at import that httpx (which it uses) is deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        from authlib.integrations.starlette_client import OAuth
    oauth = OAuth()
    oauth.register(
        "oidc",
        client_id=oidc.client_id,
        client_secret=oidc.client_secret,
        server_metadata_url=oidc.discovery_url,
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
    )
    app.state.oauth_client = oauth.create_client("oidc")


def _configured(request: Request) -> tuple[OidcSettings, Any]:
    oidc: OidcSettings | None = request.app.state.oidc
    if oidc is None:
        raise HTTPException(404, "Single sign-on is not set up here; sign in with your user name and password.")
    return oidc, request.app.state.oauth_client


@router.get("/sign-in/sso")
async def sso_start(request: Request, next: str = "/") -> Any:
    from flows.web.auth import safe_next

    oidc, client = _configured(request)
    request.scope["session"]["sso_next"] = safe_next(next)
    try:
        return await client.authorize_redirect(request, str(request.url_for("sso_callback")))
    except (AuthlibBaseError, httpx.HTTPError, ValueError) as exc:
        log.warning("single sign-on: the identity provider's discovery failed: %s", type(exc).__name__)
        raise HTTPException(502, f"{oidc.name} did not answer; try again later, or sign in with a password.") from None


@router.get("/sign-in/sso/callback", name="sso_callback")
async def sso_callback(request: Request) -> Any:
    oidc, client = _configured(request)
    try:
        token = await client.authorize_access_token(request)
    except (AuthlibBaseError, JoseError, httpx.HTTPError, ValueError, KeyError) as exc:
        reason = getattr(exc, "error", None) or type(exc).__name__  # a code, never a token or the secret
        log.warning("single sign-on refused: %s", reason)
        raise HTTPException(400, f"Signing on through {oidc.name} did not work ({reason}); nothing was changed. "
                            "Start again from the sign-in page.") from None  # fmt: skip
    claims = token.get("userinfo")
    if not claims:
        raise HTTPException(400, f"{oidc.name} sent no ID token; nothing was changed.")
    try:
        who = await run_in_threadpool(sso_principal, request.app.state.settings, oidc, dict(claims))
    except UserError as exc:
        raise HTTPException(403, str(exc)[:1].upper() + str(exc)[1:]) from None
    session = request.scope["session"]
    next_path = session.get("sso_next", "/")
    session.clear()  # a new session (and CSRF token) at sign-in: no fixation
    session["uid"] = who.user_id
    return see_other(next_path if isinstance(next_path, str) else "/")
