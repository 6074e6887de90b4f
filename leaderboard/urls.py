"""The project's URLs; the leaderboard's own pages are namespaced `leaderboard:`."""

from django.contrib import admin
from django.urls import include, path

from . import views

leaderboard_patterns = [
    path("", views.standings, name="standings"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/demo/", views.demo_sign_in, name="demo-sign-in"),
]

urlpatterns = [
    path("", include((leaderboard_patterns, "leaderboard"))),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
]
