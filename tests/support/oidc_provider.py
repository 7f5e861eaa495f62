"""A tiny OpenID provider on 127.0.0.1 for the single sign-on tests: discovery, a JWKS with an RSA key made at
start, an authorization endpoint that signs in whoever the test says, and a token endpoint that checks the
client's secret, the redirect URI and PKCE (S256) before it issues an RS256 ID token.

Knobs for the refusal tests: ``audience`` and ``issuer`` put into the next ID tokens (default: right ones).
"""

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

LOOPBACK = "127.0.0.1"


class OpenIdProvider:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.server = ThreadingHTTPServer((LOOPBACK, 0), _Handler)
        self.server.provider = self  # type: ignore[attr-defined]
        self.issuer = f"http://{LOOPBACK}:{self.server.server_address[1]}/realms/council"
        self.person: dict[str, Any] = {}  # the claims of whoever signs in next
        self.audience: str | None = None  # None: our client id
        self.token_issuer: str | None = None  # None: the real issuer
        self.codes: dict[str, dict[str, Any]] = {}
        self.token_requests: list[dict[str, str]] = []
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return 400, {}, b"unknown client or response type"
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return 400, {}, b"PKCE S256 is required"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {**query, "person": dict(self.person)}
        target = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query.get("state", "")})
        return 302, {"Location": target}, b""

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization.lower().startswith("basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        if (client_id, secret) != (self.client_id, self.client_secret):
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if challenge != grant["code_challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verifier does not match"}
        now = int(time.time())
        claims = {"iss": self.token_issuer or self.issuer, "aud": self.audience or self.client_id, "iat": now,
                  "exp": now + 300, "nonce": grant.get("nonce"), **grant["person"]}  # fmt: skip
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)
        return 200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                     "id_token": id_token}  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None, kind: str = "") -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if kind:
            self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        provider: OpenIdProvider = self.server.provider  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        path = parts.path.removeprefix(urlsplit(provider.issuer).path)
        if path == "/.well-known/openid-configuration":
            self._send(200, json.dumps(provider.discovery()).encode(), kind="application/json")
        elif path == "/jwks":
            keys = {"keys": [provider.key.as_dict(private=False)]}
            self._send(200, json.dumps(keys).encode(), kind="application/json")
        elif path == "/authorize":
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            status, headers, body = provider.authorize(query)
            self._send(status, body, headers)
        else:
            self._send(404, b"")

    def do_POST(self) -> None:
        provider: OpenIdProvider = self.server.provider  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if urlsplit(self.path).path.removeprefix(urlsplit(provider.issuer).path) != "/token":
            self._send(404, b"")
            return
        status, answer = provider.token(form, self.headers.get("Authorization", ""))
        self._send(status, json.dumps(answer).encode(), kind="application/json")
