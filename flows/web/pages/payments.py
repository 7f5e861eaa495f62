"""Payment by results, per contract: the reconciliation (tables, the cumulative payments against the caps as
SVG, and CSV and XLSX downloads). A provider sees only their own contracts' (another's is 404)."""

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from flows.common.errors import UserError
from flows.pbr.reconcile import Reconciliation, export_csv, export_xlsx, reconcile
from flows.web.pages.contracts import visible_detail
from flows.web.render import principal, render
from flows.web.svg import payments_chart_svg

router = APIRouter()


def _report(request: Request, ref: str) -> Reconciliation:
    detail = visible_detail(request, principal(request), ref)  # 404 for another provider's contract
    try:
        return reconcile(request.app.state.settings, detail["ref"])
    except UserError as exc:
        raise HTTPException(404, str(exc)[:1].upper() + str(exc)[1:]) from None


@router.get("/contracts/{ref}/reconciliation", include_in_schema=False)
async def reconciliation_page(request: Request, ref: str) -> Any:
    report = await run_in_threadpool(_report, request, ref)
    chart = payments_chart_svg(report.timeline, report.caps, title=f"Payments to date on {report.contract}")
    return render(request, "reconciliation.html", {"title": f"Reconciliation of {report.contract}", "r": report,
                                                    "chart": Markup(chart)})  # fmt: skip


@router.get("/api/v1/contracts/{ref}/reconciliation")
async def reconciliation_api(request: Request, ref: str) -> dict[str, Any]:
    """By period and outcome, rejected by reason, by payer, the caps, and cumulative payments per run."""
    report = await run_in_threadpool(_report, request, ref)
    return report.as_dict()


def _export(request: Request, ref: str, kind: str) -> tuple[str, bytes]:
    report = _report(request, ref)
    with tempfile.TemporaryDirectory(prefix="reconcile-") as folder:
        path = Path(folder) / f"reconciliation.{kind}"
        if kind == "csv":
            export_csv(report, path)
        else:
            export_xlsx(report, path, generated=dt.datetime.now(dt.UTC), actor=principal(request).username)
        return report.contract, path.read_bytes()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/contracts/{ref}/reconciliation.csv", include_in_schema=False)
async def reconciliation_csv(request: Request, ref: str) -> Response:
    return await _download(request, ref, "csv")


@router.get("/contracts/{ref}/reconciliation.xlsx", include_in_schema=False)
async def reconciliation_xlsx(request: Request, ref: str) -> Response:
    return await _download(request, ref, "xlsx")


async def _download(request: Request, ref: str, kind: str) -> Response:
    contract, body = await run_in_threadpool(_export, request, ref, kind)
    name = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in contract)
    media = "text/csv; charset=utf-8" if kind == "csv" else XLSX
    disposition = f'attachment; filename="reconciliation-{name}.{kind}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})
