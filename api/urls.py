"""The HTTP surface: the v1 API, its schema and its docs. No business logic here."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("v1/", include("users.urls")),
    path("v1/", include("files.urls")),
    path("v1/", include("events.urls")),
    path("v1/", include("webhooks.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]
