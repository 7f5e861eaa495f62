"""The lists a real user needs, as pages, CSV and Excel downloads and /api/v1 JSON: contracts (filtered), claims,
payment runs, rate cards, participants and the ledger. Each calls the same service function as its command
(`commission claims list` and the rest), with the filters from the query string.

A provider user's lists hold only their organisation's contracts' rows: the service narrows the query to
them, and a contract of another provider named in a filter is a 404, the same as one that does not exist.

A page shows ``PAGE_ROWS`` rows (``?page=2`` the next) and how many match; the API gives every row as it
always has, or, asked for ``limit`` or ``offset``, that page (at most ``MOST_ROWS``) with the next in ``Link``;
each says how many match in ``X-Total-Count``. Every row, for the API or a download, is written to a file a
chunk at a time and sent from the disk: a ledger of millions of entries is never held whole in the server.
"""

import contextlib
import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from flows.common.errors import NotFound, UserError
from flows.common.listing import Listing, Page, export_listing
from flows.contracts.listing import contracts_list
from flows.pbr.lists import claims_list, ledger_list, participants_list, ratecards_list, runs_list
from flows.web.params import MOST_PAGE
from flows.web.render import principal, render

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_ROWS = 100  # a web page's rows
MOST_ROWS = 10_000  # the API's rows at a time; 1,000 unless ``limit`` says otherwise
API_ROWS = 1_000


@dataclass(frozen=True)
class Kind:
    """One list: its service, its filters (query name, label) and the page's title."""

    title: str
    service: Callable[..., Listing]
    filters: tuple[tuple[str, str], ...]


CONTRACT = ("contract", "Contract reference")
PERIOD = ("period", "Period (2026-Q1 or 2026-01)")
LISTS = {
    "contracts": Kind(
        "Contracts",
        contracts_list,
        (("status", "Status"), ("provider", "Provider"), ("owner", "Owner"), ("ending_within", "Ending within (days)")),
    ),
    "claims": Kind(
        "Claims", claims_list, (CONTRACT, ("status", "Status"), ("reason", "Reason"), ("participant", "Participant"))
    ),
    "runs": Kind("Payment runs", runs_list, (CONTRACT, PERIOD)),
    "ratecards": Kind("Rate cards", ratecards_list, (CONTRACT,)),
    "participants": Kind("Participants", participants_list, (CONTRACT,)),
    "ledger": Kind("Ledger", ledger_list, (CONTRACT, ("payer", "Payer"), PERIOD, ("kind", "Kind"))),
}


def _filters(request: Request, kind: Kind) -> dict[str, str]:
    """The list's filters given in the query string (blank ones left out)."""
    given = {name: request.query_params.get(name, "").strip() for name, _ in kind.filters}
    return {name: value for name, value in given.items() if value}


def _whole(request: Request, name: str, default: int, least: int, most: int) -> int:
    """A whole number from the query string (``default`` if absent), refused in words unless least..most."""
    given = request.query_params.get(name, "").strip()
    if not given:
        return default
    if not (given.isascii() and given.isdigit()) or not least <= int(given) <= most:  # not ² nor ١٢
        raise UserError(f"{name}: {given[:40]!r} is not a whole number from {least:,} to {most:,}")
    return int(given)


def _listing(request: Request, name: str, page: Page | None) -> tuple[Kind, dict[str, str], Listing]:
    kind, who = LISTS[name], principal(request)
    filters = _filters(request, kind)
    arguments: dict[str, Any] = dict(filters)
    if "ending_within" in arguments:
        try:
            arguments["ending_within"] = int(arguments["ending_within"])
        except ValueError:
            raise UserError(f"ending within: {filters['ending_within']!r} is not a whole number of days") from None
    providers = who.provider_names if who.is_provider else None
    try:
        found = kind.service(request.app.state.settings, providers=providers, page=page, **arguments)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return kind, filters, found


def _file(request: Request, name: str, suffix: str) -> tuple[Path, str]:
    """Every row written to a file in a folder of its own (removed once it is sent): (the file, its name)."""
    _, _, found = _listing(request, name, Page(1))  # one row read: the rest are read as they are written
    folder = Path(tempfile.mkdtemp(prefix="list-"))
    try:
        path = folder / f"{name}{suffix}"
        export_listing(found, path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return path, path.name


def _json_file(request: Request, name: str) -> tuple[Path, int]:
    """Every row as a JSON list, written to a file in a folder of its own a row at a time: (the file, the count)."""
    _, _, found = _listing(request, name, Page(1))
    folder = Path(tempfile.mkdtemp(prefix="list-"))
    try:
        path = folder / f"{name}.json"
        with open(path, "w", encoding="utf-8") as out, contextlib.closing(found.all_rows()) as rows:
            out.write("[")
            for n, row in enumerate(rows):
                out.write(("," if n else "") + json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            out.write("]")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return path, found.count


class _SentThenRemoved(FileResponse):
    """The file, sent from the disk; its folder is removed however the response ends: sent, the client gone half
    way, or the response's task cancelled (serve stopping), when a background task would never run."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            shutil.rmtree(Path(self.path).parent, ignore_errors=True)


def _every_row(path: Path, count: int) -> Response:
    headers = {"X-Total-Count": str(count)}
    return _SentThenRemoved(path, media_type="application/json", headers=headers)


def _routes(name: str) -> None:
    async def page(request: Request) -> Any:
        number = _whole(request, "page", 1, 1, MOST_PAGE)
        shown = Page(PAGE_ROWS, (number - 1) * PAGE_ROWS)
        kind, filters, found = await run_in_threadpool(_listing, request, name, shown)
        query = urlencode(filters)
        pages = max(1, -(-found.count // PAGE_ROWS))
        context = {"title": kind.title, "name": name, "kind": kind, "filters": filters, "r": found, "query": query,
                   "page": number, "pages": pages}  # fmt: skip
        return render(request, "listing.html", context)

    async def api(request: Request, response: Response) -> Any:
        if "limit" not in request.query_params and "offset" not in request.query_params:
            return _every_row(*await run_in_threadpool(_json_file, request, name))  # as before pages: every row
        asked = Page(_whole(request, "limit", API_ROWS, 1, MOST_ROWS), _whole(request, "offset", 0, 0, 10**12))
        _, filters, found = await run_in_threadpool(_listing, request, name, asked)
        response.headers["X-Total-Count"] = str(found.count)
        if asked.offset + len(found.rows) < found.count:
            after = urlencode({**filters, "limit": asked.limit, "offset": asked.offset + asked.limit})
            response.headers["Link"] = f'<{request.url.path}?{after}>; rel="next"'
        return found.rows

    async def download_csv(request: Request) -> Response:
        return _download(*await run_in_threadpool(_file, request, name, ".csv"))

    async def download_xlsx(request: Request) -> Response:
        return _download(*await run_in_threadpool(_file, request, name, ".xlsx"))

    where = "/lists/contracts" if name == "contracts" else f"/{name}"  # /contracts is the searchable list
    api.__doc__ = (
        f"{LISTS[name].title}, filtered by {', '.join(f for f, _ in LISTS[name].filters)}: every row, or with "
        f"`limit` (at most {MOST_ROWS:,}; {API_ROWS:,} if only `offset` is given) that many from `offset`, with "
        "the next page in `Link`; `X-Total-Count` says how many match."
    )
    router.add_api_route(where, page, methods=["GET"], include_in_schema=False)
    router.add_api_route(f"{where}.csv", download_csv, methods=["GET"], include_in_schema=False)
    router.add_api_route(f"{where}.xlsx", download_xlsx, methods=["GET"], include_in_schema=False)
    router.add_api_route(
        f"/api/v1{where}",
        api,
        methods=["GET"],
        summary=f"{LISTS[name].title} (filtered)",
        response_model=list[dict[str, Any]],
    )


def _download(path: Path, file_name: str) -> Response:
    """The file, sent from the disk; its folder removed once it is sent (or the client goes)."""
    stamp = dt.date.today().isoformat()
    media = "text/csv; charset=utf-8" if file_name.endswith(".csv") else XLSX
    stem, suffix = file_name.rsplit(".", 1)
    disposition = f'attachment; filename="{stem}-{stamp}.{suffix}"'
    return _SentThenRemoved(path, media_type=media, headers={"Content-Disposition": disposition})


for _name in LISTS:
    _routes(_name)
