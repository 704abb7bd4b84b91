"""Refusals of the users domain, as ``ApplicationError``s."""

import math
from http import HTTPStatus

from django.conf import settings

from core.exceptions import ApplicationError


class LoginLockedOut(ApplicationError):
    """Too many failed sign-ins for this username (django-axes): 429, like any rate limit."""

    status = HTTPStatus.TOO_MANY_REQUESTS
    code = "throttled"
    detail = "Too many failed sign-ins for this account; try again later."

    def __init__(self):
        seconds = lockout_seconds()
        super().__init__(f"Too many failed sign-ins for this account; try again in {seconds} seconds.",
                         headers={"Retry-After": str(seconds)})


def lockout_seconds() -> int:
    """How long a locked-out username waits: the whole cool-off, since every attempt
    during a lockout starts it again (axes' AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT)."""
    return math.ceil(settings.AXES_COOLOFF_TIME.total_seconds())
