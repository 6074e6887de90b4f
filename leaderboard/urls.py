"""The project's URLs; the leaderboard's own pages are namespaced `leaderboard:`."""

from django.contrib import admin
from django.urls import include, path

from leaderboard.web.views import pages as views

leaderboard_patterns = [
    path("", views.boards, name="boards"),
    path("boards/<slug:slug>/", views.board, name="board"),
    path("people/<slug:public_id>/", views.person, name="person"),
    path("people/<slug:public_id>/privacy/", views.privacy, name="privacy"),
    path("teams/<int:team_id>/", views.team, name="team"),
    path("teams/names/", views.team_names, name="team-names"),
    path("manage/unattributed/", views.unattributed, name="unattributed"),
    path("about/", views.about, name="about"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/demo/", views.demo_sign_in, name="demo-sign-in"),
]

urlpatterns = [
    path("", include((leaderboard_patterns, "leaderboard"))),
    path("", include("badges.urls")),
    path("", include("ingest.urls")),
    path("admin/login/", views.admin_sign_in, name="admin-sign-in"),
    path("admin/", admin.site.urls),
    # Before allauth's own URLs, so its social signup form is never served.
    path("accounts/3rdparty/signup/", views.sso_signup, name="sso-signup"),
    path("accounts/", include("allauth.urls")),
]

handler500 = "leaderboard.web.views.pages.server_error"
