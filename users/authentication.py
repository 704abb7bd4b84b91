"""simplejwt's bearer authentication, refusing tokens of sessions the account has ended."""

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
