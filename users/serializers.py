from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.validators import UniqueValidator
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings

from .errors import LoginLockedOut
from .tokens import mark_session_start, session_expired, session_revoked

User = get_user_model()


class RegisterSerializer(serializers.ModelSerializer):
    """Registration input; the password goes through Django's validators."""

    email = serializers.EmailField(
        validators=[UniqueValidator(User.objects.all(), lookup="iexact",
                                    message="A user with that email already exists.")]
    )
    password = serializers.CharField(write_only=True, style={"input_type": "password"})

    class Meta:
        model = User
        fields = ["id", "username", "email", "password", "date_joined"]
        read_only_fields = ["id", "date_joined"]

    def validate(self, attrs):
        candidate = User(username=attrs.get("username"), email=attrs.get("email"))
        try:
            validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


class QuotaSerializer(serializers.Serializer):
    used_bytes = serializers.IntegerField()
    limit_bytes = serializers.IntegerField(allow_null=True, help_text="null = unlimited")
    file_count = serializers.IntegerField()


class LimitsSerializer(serializers.Serializer):
    max_upload_size = serializers.IntegerField()
    allowed_kinds = serializers.ListField(child=serializers.CharField())


class MeSerializer(serializers.ModelSerializer):
    quota = QuotaSerializer()
    limits = LimitsSerializer()

    class Meta:
        model = User
        fields = ["id", "username", "email", "date_joined", "is_staff", "quota", "limits"]


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class TokenObtainPairSerializer(jwt_serializers.TokenObtainPairSerializer):
    """simplejwt's sign-in; the tokens carry when the session began (``users.tokens``)."""

    @classmethod
    def get_token(cls, user):
        token = super().get_token(user)
        mark_session_start(token)
        return token

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except AuthenticationFailed:
            # django-axes flags the request it was given (DRF's) when this username is locked out.
            if getattr(self.context.get("request"), "axes_locked_out", False):
                raise LoginLockedOut() from None
            raise


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """simplejwt's refresh, refusing a session past its absolute lifetime or ended by the
    account (deactivation, password change); 401 (not 500) when the token's user is gone."""

    def validate(self, attrs):
        token = self.token_class(attrs["refresh"])  # a TokenError becomes 401 token_not_valid in the view
        if session_expired(token):
            raise TokenError("The session has reached its maximum lifetime; sign in again.")
        user = User.objects.filter(pk=token.get(api_settings.USER_ID_CLAIM)).first()
        if user is not None and session_revoked(user=user, token=token):
            raise TokenError("Token belongs to a session that has been ended; sign in again.")
        try:
            return super().validate(attrs)
        except User.DoesNotExist as exc:
            raise AuthenticationFailed(self.error_messages["no_active_account"], "no_active_account") from exc


class PasswordChangeSerializer(serializers.Serializer):
    """The caller's current password, and a new one that passes Django's validators."""

    old_password = serializers.CharField(write_only=True, style={"input_type": "password"})
    new_password = serializers.CharField(write_only=True, style={"input_type": "password"})

    def validate_old_password(self, value):
        if not self.context["request"].user.check_password(value):
            raise serializers.ValidationError("The current password is not correct.")
        return value

    def validate_new_password(self, value):
        try:
            validate_password(value, user=self.context["request"].user)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from exc
        return value


class AccountDeleteSerializer(serializers.Serializer):
    """The caller's password, confirming the deletion."""

    password = serializers.CharField(write_only=True, style={"input_type": "password"})

    def validate_password(self, value):
        if not self.context["request"].user.check_password(value):
            raise serializers.ValidationError("The password is not correct.")
        return value
