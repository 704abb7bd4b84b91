"""simplejwt's bearer authentication, refusing tokens of sessions the account has ended."""

from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken

from .tokens import session_revoked


class JWTAuthentication(authentication.JWTAuthentication):
    """A valid, unexpired access token is not enough: its session must have begun after
    the user's ``tokens_valid_after`` (deactivation, password change)."""

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if session_revoked(user=user, token=validated_token):
            raise InvalidToken("Token belongs to a session that has been ended; sign in again.")
        return user
