"""Writes on users: registration, logout and deactivation."""

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


@transaction.atomic
def user_deactivate(*, user: User) -> None:
    """Deactivate ``user``: their access tokens stop working at once (simplejwt
    checks ``is_active``) and every refresh token they hold is blacklisted, so
    reactivating the account later does not revive old sessions."""
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    live = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in live], ignore_conflicts=True)
