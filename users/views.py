from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views

from . import selectors, services
from .serializers import LogoutSerializer, MeSerializer, RegisterSerializer


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


class MeView(APIView):
    """The caller's account, quota usage and upload limits."""

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
