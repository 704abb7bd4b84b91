from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("files", views.FileViewSet, basename="file")

urlpatterns = [
    path("upload/", views.UploadView.as_view(), name="file-upload"),
    *router.urls,
]
