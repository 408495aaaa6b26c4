"""Request dependencies: the context the composition root attached to the app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from api.context import ApiContext


def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


Context = Annotated[ApiContext, Depends(get_context)]


def not_found(what: str, ident: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"no {what} with id {ident!r}")
