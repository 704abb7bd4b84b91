"""What a token says about its session, and whether the account has ended that session since.

Every token carries ``session_start``: when its user signed in (a float, finer
than ``iat``'s whole seconds). Access tokens copy it from their refresh token and
rotation keeps it, so it names the sign-in a token descends from. Tokens minted
without it (``RefreshToken.for_user``) fall back to their ``iat``.
"""

import time

from django.conf import settings

SESSION_CLAIM = "session_start"


def session_start(token) -> float:
    return float(token.get(SESSION_CLAIM, token.get("iat", 0)))


def mark_session_start(token) -> None:
    token[SESSION_CLAIM] = time.time()


def session_revoked(*, user, token) -> bool:
    """Whether ``user`` ended every session since ``token``'s began (``tokens_valid_after``)."""
    return user.tokens_valid_after is not None and session_start(token) < user.tokens_valid_after.timestamp()


def session_expired(token) -> bool:
    """Whether ``token``'s session is older than ``JWT_SESSION_LIFETIME``, however often it was refreshed."""
    return time.time() - session_start(token) > settings.JWT_SESSION_LIFETIME
