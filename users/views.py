from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views

from api.throttling import ScopedRateThrottle

from . import schema, selectors, services
from .serializers import (
    AccountDeleteSerializer,
    LogoutSerializer,
    MeSerializer,
    PasswordChangeSerializer,
    RegisterSerializer,
)


class AuthThrottleMixin:
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


@extend_schema_view(post=extend_schema(
    operation_id="register", tags=["auth"], summary="Create an account",
    description="Create an account; answers the new user without tokens (get them from `obtainToken`). The "
                "password goes through the password validators; a taken username or email is 400.",
    responses={201: RegisterSerializer}))
class RegisterView(AuthThrottleMixin, generics.CreateAPIView):
    """Create an account; answers the new user without tokens."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    serializer_class = RegisterSerializer

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.user_create(
            username=data["username"], email=data["email"], password=data["password"]
        )


@extend_schema_view(post=extend_schema(
    operation_id="obtainToken", tags=["auth"], summary="Log in",
    description="Exchange username and password for an access and a refresh token."))
class TokenObtainView(AuthThrottleMixin, jwt_views.TokenObtainPairView):
    """Exchange username and password for an access and a refresh token."""


@extend_schema_view(post=extend_schema(
    operation_id="refreshToken", tags=["auth"], summary="Refresh the tokens",
    description="Exchange a refresh token for a new pair; the old refresh token is blacklisted (refresh tokens "
                "rotate)."))
class TokenRefreshView(AuthThrottleMixin, jwt_views.TokenRefreshView):
    """Exchange a refresh token for a new pair; the old refresh token is blacklisted."""


class LogoutView(APIView):
    """Blacklist the caller's refresh token."""

    @extend_schema(operation_id="logout", tags=["auth"], summary="Log out",
                   description="Blacklist the caller's refresh token: refreshing with it answers 401 afterwards.",
                   request=LogoutSerializer, responses={205: None})
    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_logout(user=request.user, refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_205_RESET_CONTENT)


# Throttled like sign-in (THROTTLE_AUTH, per user here): a stolen access token
# must not buy unlimited guesses at the current password.
class PasswordChangeView(AuthThrottleMixin, APIView):
    """Change the caller's password; every token issued before stops working."""

    @extend_schema(operation_id="changePassword", tags=["auth"], summary="Change your password",
                   description="Change the caller's password (the current one confirms it); every token "
                               "issued before, this one included, stops working: sign in again.",
                   request=PasswordChangeSerializer, responses={204: None})
    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        services.user_password_change(user=request.user, new_password=serializer.validated_data["new_password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """The caller's account, quota usage and upload limits; DELETE removes the account."""

    schema = schema.DeleteWithBodySchema()

    def get_throttles(self):
        # Deleting checks the password: as slow to guess at as sign-in (THROTTLE_AUTH, per user).
        if self.request.method == "DELETE":
            self.throttle_scope = AuthThrottleMixin.throttle_scope
            return [throttle() for throttle in AuthThrottleMixin.throttle_classes]
        return super().get_throttles()

    @extend_schema(operation_id="deleteMe", tags=["users"], summary="Delete your account",
                   description="Delete the caller's account, its files and their stored bytes; the "
                               "password confirms it. App stores require in-app account deletion.",
                   request=AccountDeleteSerializer, responses={204: None})
    def delete(self, request):
        """Delete the account, its files and their stored bytes (the password confirms it)."""
        serializer = AccountDeleteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        services.user_delete(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(operation_id="getMe", tags=["users"], summary="Your account",
                   description="The caller's account, quota usage and upload limits.",
                   responses={200: MeSerializer})
    def get(self, request):
        user = request.user
        data = {
            "id": user.id,
            "username": user.username,
            "email": user.email,
            "date_joined": user.date_joined,
            "is_staff": user.is_staff,
            **selectors.user_quota(user=user),
        }
        return Response(MeSerializer(data).data)
