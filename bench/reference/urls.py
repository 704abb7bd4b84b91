from django.urls import path

from core import health

from . import views

urlpatterns = [
    path("upload/", views.upload),
    path("health/live/", health.live),
]
