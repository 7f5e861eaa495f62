"""PLACEHOLDER, so that ``commission serve`` can be built and tested on its own branch (s15).

The real web app (pages, accounts, sign-in) is built on another branch and replaces this file whole at
merge. The contract serve relies on, and all this file keeps: ``create_app(settings) -> FastAPI``, with
a public ``GET /healthz`` that answers ``{"status": "ok"}``.
"""

from fastapi import FastAPI

from flows.common.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    """The web app for these settings (placeholder: /healthz only)."""
    app = FastAPI(title="commissioning", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
