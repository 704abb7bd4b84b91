"""simplejwt's bearer authentication, refusing tokens of sessions the account has ended."""

import time

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from core.queries import get_by_pk

from .tokens import session_revoked


class JWTAuthentication(authentication.JWTAuthentication):
    """A valid, unexpired access token is not enough: its session must have begun after
    the user's ``tokens_valid_after`` (deactivation, password change).

    The user is read as simplejwt reads it (by the token's ``user_id`` claim, the
    primary key here), with the same refusals, in one statement without the
    QuerySet: it runs on every request (issue 19).
    """

    def get_validated_token(self, raw_token: bytes):
        """simplejwt's validation, done once per token string in this process (``VALIDATED``)."""
        token = VALIDATED.get(raw_token)
        if token is None:
            token = super().get_validated_token(raw_token)
            VALIDATED.add(raw_token, token)
        return token

    def get_user(self, validated_token):
        if self.user_model._meta.pk.name != api_settings.USER_ID_FIELD:
            user = super().get_user(validated_token)
        else:
            user = self._user_by_pk(validated_token)
        if session_revoked(user=user, token=validated_token):
            raise InvalidToken("Token belongs to a session that has been ended; sign in again.")
        return user

    def _user_by_pk(self, validated_token):
        """simplejwt's ``get_user`` with ``core.queries.get_by_pk`` for ``objects.get``."""
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        try:
            user = get_by_pk(self.user_model, user_id)
        except ValidationError:  # not a primary key at all
            user = None
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and (
            validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password)
        ):
            raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        return user


class ValidatedTokens:
    """Access tokens this process has validated, by their encoded form, until they expire.

    A client sends the same token with every request for its lifetime, and
    decoding it (base64, JSON, the HMAC, simplejwt's claim checks) is the same
    work each time with the same answer: a given string either has a valid
    signature and claims or not. The one thing that changes is the clock, so a
    remembered token is handed out only while its ``exp`` (with the backend's
    leeway) has not passed; after that it goes through simplejwt again, which
    refuses it as usual. What can end a token before ``exp`` is the user's
    row (inactive, ``tokens_valid_after``, the password), and that is still read on
    every request. At most ``size`` tokens are kept; the oldest is dropped first.
    """

    def __init__(self, size: int = 1024):
        self.size = size
        self._tokens: dict[bytes, tuple[object, float]] = {}

    def get(self, raw_token: bytes):
        found = self._tokens.get(raw_token)
        if found is None:
            return None
        token, good_until = found
        if time.time() >= good_until:
            self._tokens.pop(raw_token, None)
            return None
        return token

    def add(self, raw_token: bytes, token) -> None:
        exp = token.payload.get("exp")  # simplejwt's check_exp reads this claim
        if not isinstance(exp, int | float):
            return  # simplejwt requires exp; anything else is not remembered
        if len(self._tokens) >= self.size:
            self._tokens.pop(next(iter(self._tokens)))
        self._tokens[raw_token] = (token, exp + token.get_token_backend().get_leeway().total_seconds())


VALIDATED = ValidatedTokens()
