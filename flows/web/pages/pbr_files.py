"""Payment by results, per contract: the participants file (finance, or the provider for their own contract)
and the rate card (finance), uploaded and imported by the same services as the CLI, for this contract only."""

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from flows.common.errors import UserError
from flows.pbr.participants import import_participants
from flows.pbr.ratecards import propose_rate_card
from flows.web.pages.claims import pbr_contract_of
from flows.web.render import back_with_errors, flash, principal, see_other
from flows.web.uploads import KINDS, check_name, received

router = APIRouter()
CARD_KINDS = {".yaml": "YAML", ".yml": "YAML", **KINDS}


def _imported(request: Request, ref: str, upload: UploadFile, kinds: dict[str, str],
              work: Callable[[Path, str], Any]) -> Any:  # fmt: skip
    detail = pbr_contract_of(request, ref)
    check_name(upload.filename, kinds)
    with received(upload, request.app.state.settings.data_dir, kinds=kinds) as path:
        try:
            return work(path, detail["ref"])
        except UserError as exc:  # name the file as the user knows it, never our folder
            raise UserError(str(exc).replace(str(path.resolve()), path.name).replace(str(path), path.name)) from None


async def _upload(request: Request, ref: str, upload: UploadFile | None, field: str, kinds: dict[str, str],
                  work: Callable[[Path, str], Any], said: Callable[[Any], str]) -> Any:  # fmt: skip
    page = f"/contracts/{ref}/claims"
    if upload is None:
        return back_with_errors(request, page, {field: f"Choose a file to upload ({', '.join(kinds)})"}, {})
    try:
        result = await run_in_threadpool(_imported, request, ref, upload, kinds, work)
    except UserError as exc:
        return back_with_errors(request, page, {field: str(exc)[:1500]}, {})
    flash(request, said(result))
    return see_other(page)


@router.post("/contracts/{ref}/participants", include_in_schema=False)
async def participants_upload(request: Request, ref: str, file: UploadFile = File(None)) -> Any:
    settings, who = request.app.state.settings, principal(request).username

    def work(path: Path, contract: str) -> Any:
        return import_participants(settings, path, as_of=dt.datetime.now(dt.UTC), actor=who, contract_only=contract)

    def said(r: Any) -> str:
        ineligible = f"; {len(r.ineligible)} not eligible: " + "; ".join(r.ineligible[:5]) if r.ineligible else ""
        return f"Participants: {r.added} added, {r.unchanged} unchanged{ineligible}."

    return await _upload(request, ref, file, "participants_file", KINDS, work, said)


@router.post("/contracts/{ref}/ratecard", include_in_schema=False)
async def ratecard_upload(request: Request, ref: str, file: UploadFile = File(None)) -> Any:
    settings, who = request.app.state.settings, principal(request).username

    def work(path: Path, contract: str) -> Any:
        return propose_rate_card(settings, path, as_of=dt.datetime.now(dt.UTC), actor=who, contract_only=contract)

    def said(r: Any) -> str:
        if r["proposal"] is None:
            return f"Rate card from {r['effective_from']}: {r['outcomes']} outcome(s), unchanged."
        n = r["proposal"]["id"]
        return (f"Rate card from {r['effective_from']}: {r['outcomes']} outcome(s), proposed (proposal {n}); "
                "a finance user other than you approves it on the Approvals page.")  # fmt: skip

    return await _upload(request, ref, file, "ratecard_file", CARD_KINDS, work, said)
