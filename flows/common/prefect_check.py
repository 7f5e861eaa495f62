"""Does the Prefect API named by ``PREFECT_API_URL`` answer? Asked once, briefly, before a command does any work.

Prefect's client retries a refused connection for about 10 s and then raises a long traceback, waits for minutes
on a server that accepts and never answers, and calls a web server that is not Prefect's an HTTP error; none of
that tells the user which setting is wrong. So a command that will use the API first asks its ``/health``, once,
with no retries and a 5 s timeout, and a failure is one line naming the address (never a user name, password or
query string from it).

Example: ``PREFECT_API_URL=http://127.0.0.1:1/api`` gives "cannot reach the Prefect API at
http://127.0.0.1:1/api (PREFECT_API_URL): [Errno 111] Connection refused".
"""

from urllib.parse import urlsplit

from flows.common.errors import UserError

HEALTH_TIMEOUT_SECONDS = 5.0


def api_address(url: str) -> str:
    """Scheme, host, port and path of a URL: never a user name, password or query string that may be in it."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        if not parts.scheme or not host:
            return "an address that is not a URL"
        netloc = f"[{host}]" if ":" in host else host
        if parts.port:
            netloc += f":{parts.port}"
    except ValueError:
        return "an address that is not a URL"
    return f"{parts.scheme}://{netloc}{parts.path}"


def check_prefect_api(url: str) -> None:
    """Refuse, in one line, a Prefect API that does not answer its health check within a few seconds.

    Uses Prefect's own client (its TLS and API key settings) with retries off; call after configure_prefect."""
    import httpx
    from prefect.client.orchestration import get_client
    from prefect.exceptions import PrefectHTTPStatusError
    from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings

    where = f"the Prefect API at {api_address(url)} (PREFECT_API_URL)"
    try:
        with (
            temporary_settings({PREFECT_CLIENT_MAX_RETRIES: 0, PREFECT_API_URL: url}),
            get_client(httpx_settings={"timeout": HEALTH_TIMEOUT_SECONDS}, sync_client=True) as client,
        ):
            problem = client.api_healthcheck()
    except ValueError:  # a URL httpx cannot use at all
        problem = httpx.InvalidURL("not a URL")
    if problem is None:
        return
    if isinstance(problem, httpx.TimeoutException):
        raise UserError(f"{where} did not answer within {HEALTH_TIMEOUT_SECONDS:.0f} s; is the Prefect server up?")
    if isinstance(problem, PrefectHTTPStatusError | httpx.HTTPStatusError):
        code = problem.response.status_code
        raise UserError(f"{where} answered its health check with HTTP {code}: it is not a Prefect API that works")
    if isinstance(problem, httpx.InvalidURL | httpx.UnsupportedProtocol):
        raise UserError(f"{where} is not a URL a Prefect API can have, e.g. http://127.0.0.1:4200/api")
    reason = str(problem).strip().splitlines()[0] if str(problem).strip() else type(problem).__name__
    if url in reason or "@" in reason:  # an error that echoes the address could echo its credentials
        reason = type(problem).__name__
    raise UserError(f"cannot reach {where}: {reason}")
