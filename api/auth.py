"""Who may change things: bearer tokens with a role.

Reading the twin is open to anyone who can reach the API (bind it to a trusted
network). Commanding doors and acknowledging alarms needs a token of role
``operator``. Tokens are configured as ``user:role:token`` entries separated by
commas or newlines, from ``WARDEN_TOKENS`` or a file named by
``WARDEN_TOKENS_FILE``; with none configured, changes are refused.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role


class TokenError(ValueError):
    """A token entry that cannot be read; the message names the entry."""


@dataclass(frozen=True)
class Tokens:
    """The configured tokens; compared in constant time."""

    entries: tuple[tuple[str, User], ...] = ()

    @classmethod
    def parse(cls, text: str) -> Tokens:
        entries: list[tuple[str, User]] = []
        for number, raw in enumerate(text.replace(",", "\n").splitlines(), 1):
            entry = raw.strip()
            if not entry or entry.startswith("#"):
                continue
            name, role, token = (
                part.strip() for part in [*entry.split(":", 2), "", ""][:3]
            )
            if not name or not token:
                raise TokenError(f"token entry {number} is not user:role:token")
            try:
                parsed = Role(role)
            except ValueError:
                raise TokenError(
                    f"token entry {number} ({name}) has role {role!r}; "
                    f"use one of {', '.join(r.value for r in Role)}"
                ) from None
            if len(token) < 16:
                raise TokenError(f"token of {name} is shorter than 16 characters")
            for known, user in entries:
                if hmac.compare_digest(known.encode(), token.encode()):
                    raise TokenError(
                        f"token entry {number} ({name}) reuses the token of "
                        f"{user.name}; every user needs a token of their own"
                    )
                if user.name == name:
                    raise TokenError(f"token entry {number}: {name} is listed twice")
            entries.append((token, User(name, parsed)))
        return cls(tuple(entries))

    @classmethod
    def from_environment(cls) -> Tokens:
        """``WARDEN_TOKENS`` and the file named by ``WARDEN_TOKENS_FILE``."""
        text = os.environ.get("WARDEN_TOKENS", "")
        path = os.environ.get("WARDEN_TOKENS_FILE")
        if path:
            text += "\n" + Path(path).read_text(encoding="utf-8")
        return cls.parse(text)

    def user_for(self, token: str) -> User | None:
        found: User | None = None
        for known, user in self.entries:
            if hmac.compare_digest(known.encode(), token.encode()):
                found = user
        return found


_bearer = HTTPBearer(auto_error=False)


def require_operator(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The operator making this request, or 401/403 with the reason."""
    tokens: Tokens = request.app.state.tokens
    if not tokens.entries:
        raise HTTPException(403, detail="changes are disabled: no tokens configured")
    if credentials is None:
        raise HTTPException(
            401,
            detail="this needs an operator token: Authorization: Bearer TOKEN",
            headers={"WWW-Authenticate": "Bearer"},
        )
    user = tokens.user_for(credentials.credentials)
    if user is None:
        raise HTTPException(
            401, detail="unknown token", headers={"WWW-Authenticate": "Bearer"}
        )
    if user.role is not Role.OPERATOR:
        raise HTTPException(
            403, detail=f"{user.name} is a {user.role}, not an operator"
        )
    return user


Operator = Annotated[User, Depends(require_operator)]
