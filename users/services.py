"""Writes on users: registration, logout, activation, deactivation and deletion."""

from http import HTTPStatus

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from core.exceptions import ApplicationError
from files.models import File, ResumableUpload
from files.resumable.services import upload_terminate
from files.services import file_delete

User = get_user_model()


class TokenNotValid(ApplicationError):
    status = HTTPStatus.UNAUTHORIZED
    code = "token_not_valid"
    detail = "Token is invalid."

    def __init__(self, detail: str | None = None):
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="api"'})


@transaction.atomic
def user_create(*, username: str, email: str, password: str) -> User:
    """Create an active, non-staff user whose password passed the validators."""
    return User.objects.create_user(username=username, email=email, password=password)


def user_logout(*, user: User, refresh: str) -> None:
    """Blacklist ``refresh`` so it can never be refreshed again.

    Raises TokenNotValid when the token is malformed, expired, already
    blacklisted, or belongs to another user.
    """
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise TokenNotValid(str(exc)) from exc
    if str(token.get("user_id")) != str(user.pk):
        raise TokenNotValid("Token does not belong to this user.")
    token.blacklist()


def _end_sessions(user: User) -> None:
    """Every token of a session begun before now stops working (``users.authentication``
    checks ``tokens_valid_after``), and every refresh token is blacklisted too."""
    user.tokens_valid_after = timezone.now()
    User.objects.filter(pk=user.pk).update(tokens_valid_after=user.tokens_valid_after)
    live = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in live], ignore_conflicts=True)


@transaction.atomic
def user_deactivate(*, user: User) -> None:
    """Deactivate ``user`` and end every session: their tokens stop working at once and
    reactivating the account later does not revive them."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    _end_sessions(user)


@transaction.atomic
def user_password_change(*, user: User, new_password: str) -> None:
    """Set ``user``'s password (the caller checked the old one and the validators) and end
    every session begun before, this one included: the client signs in again."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _end_sessions(user)


def user_activate(*, user: User) -> None:
    """Let ``user`` sign in again (their old refresh tokens stay blacklisted)."""
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True


def user_delete(*, user: User) -> None:
    """Delete ``user`` and their files through ``file_delete``, and their unfinished
    resumable uploads through ``upload_terminate``, so the stored bytes go too.

    Rows that only reference the user (refresh tokens, login attempts) go with it
    (``on_delete=CASCADE``). Webhooks: when they land, their endpoints are
    removed here, through their own delete service, before the user row.
    """
    for upload in ResumableUpload.objects.filter(owner=user):
        upload_terminate(upload=upload)
    for record in File.objects.filter(owner=user):
        file_delete(record=record)
    user.delete()
