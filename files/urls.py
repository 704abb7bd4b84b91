from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views
from .resumable import views as resumable_views

router = SimpleRouter()
router.register("files", views.FileViewSet, basename="file")

urlpatterns = [
    path("upload/", views.UploadView.as_view(), name="file-upload"),
    path("uploads/", resumable_views.UploadCreationView.as_view(), name="resumable-upload-list"),
    path("uploads/<str:upload_id>/", resumable_views.UploadDetailView.as_view(), name="resumable-upload-detail"),
    *router.urls,
]
