"""Writes on users: registration and logout."""

from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import RefreshToken

User = get_user_model()


@transaction.atomic
def user_create(*, username: str, email: str, password: str) -> User:
    """Create an active, non-staff user whose password passed the validators."""
    return User.objects.create_user(username=username, email=email, password=password)


def user_logout(*, user: User, refresh: str) -> None:
    """Blacklist ``refresh`` so it can never be refreshed again.

    Raises InvalidToken when the token is malformed, expired, already
    blacklisted, or belongs to another user.
    """
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise InvalidToken(str(exc)) from exc
    if str(token.get("user_id")) != str(user.pk):
        raise InvalidToken("Token does not belong to this user.")
    token.blacklist()
