"""Which passwords are accepted: 10 characters or more, and hard to guess by ``zxcvbn``
(score 3 of 4: "safely unguessable" against an online attack), judged with the user's own
name and her areas' names as words a guesser would try first.  A refusal is one sentence."""

from __future__ import annotations

from collections.abc import Iterable

from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 1024  # a hash of a megabyte of "password" is a cheap way to load the server
MIN_SCORE = 3
TOO_SHORT = f"a password needs at least {MIN_LENGTH} characters"
TOO_LONG = f"a password has at most {MAX_LENGTH} characters"
TOO_EASY = "this password is too easy to guess; use several unrelated words, not your name"


def password_problem(password: str | None, user_inputs: Iterable[str] = ()) -> str | None:
    """None for an acceptable password, else the reason in one sentence."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    # zxcvbn's run time grows with the length; its first 100 characters judge the rest well.
    inputs = [word for word in user_inputs if word]
    if zxcvbn(password[:100], user_inputs=inputs)["score"] < MIN_SCORE:
        return TOO_EASY
    return None
