from django.urls import path

from . import views

urlpatterns = [
    path("upload/", views.upload),
    path("health/live/", views.live),
]
