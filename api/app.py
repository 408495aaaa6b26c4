"""The FastAPI application: routers under ``/api/v1`` and the operators' page."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from api.auth import Tokens
from api.context import ApiContext
from api.routes import alarms, commands, devices, events, history, status, twin

API_PREFIX = "/api/v1"


def create_app(context: ApiContext, tokens: Tokens | None = None) -> FastAPI:
    """Build the application around a running platform's context; ``tokens``
    say who may command doors and acknowledge alarms (nobody by default)."""
    app = FastAPI(
        title="warden",
        summary="Live digital twin of a secure facility",
        version="0.1.0",
        docs_url="/api/docs",
        openapi_url=f"{API_PREFIX}/openapi.json",
        redoc_url=None,
    )
    app.state.context = context
    app.state.tokens = tokens if tokens is not None else Tokens()
    for module in (status, devices, twin, history, events, alarms, commands):
        app.include_router(module.router, prefix=API_PREFIX)

    page = resources.files("api").joinpath("static/index.html").read_text("utf-8")

    @app.get("/", include_in_schema=False)
    def operators_page() -> HTMLResponse:
        return HTMLResponse(page)

    return app
