from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.validators import UniqueValidator
from rest_framework_simplejwt import serializers as jwt_serializers

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


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """simplejwt's refresh, answering 401 (not 500) when the token's user is gone."""

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except User.DoesNotExist as exc:
            raise AuthenticationFailed(self.error_messages["no_active_account"], "no_active_account") from exc
