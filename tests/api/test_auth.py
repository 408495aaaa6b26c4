from __future__ import annotations

import pytest

from api.auth import Role, TokenError, Tokens

TOKEN_A = "a" * 20
TOKEN_B = "b" * 20


def test_entries_parse_with_comments_and_commas() -> None:
    tokens = Tokens.parse(
        f"# night shift\nalice:operator:{TOKEN_A}, bob:viewer:{TOKEN_B}"
    )

    alice, bob = tokens.user_for(TOKEN_A), tokens.user_for(TOKEN_B)
    assert alice is not None and (alice.name, alice.role) == ("alice", Role.OPERATOR)
    assert bob is not None and bob.role is Role.VIEWER
    assert tokens.user_for("c" * 20) is None


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("alice:operator", "not user:role:token"),
        (f"alice:admin:{TOKEN_A}", "role 'admin'"),
        ("alice:operator:short", "shorter than 16"),
        (
            f"alice:operator:{TOKEN_A},bob:operator:{TOKEN_A}",
            "reuses the token of alice",
        ),
        (f"alice:operator:{TOKEN_A},alice:viewer:{TOKEN_B}", "alice is listed twice"),
    ],
)
def test_bad_entries_are_refused_with_the_reason(text: str, phrase: str) -> None:
    with pytest.raises(TokenError, match=phrase):
        Tokens.parse(text)
