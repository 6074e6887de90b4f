"""The project's URLs; the leaderboard's own pages are namespaced `leaderboard:`."""

from django.contrib import admin
from django.urls import include, path

from leaderboard.web.views import agents, boards, health, manage, people, sign_in

leaderboard_patterns = [
    path("", boards.boards, name="boards"),
    path("boards/<slug:slug>/", boards.board, name="board"),
    path("people/<slug:public_id>/", people.person, name="person"),
    path("people/<slug:public_id>/privacy/", people.privacy, name="privacy"),
    path("people/<slug:public_id>/flags/<int:flag_id>/note/", people.flag_note, name="flag-note"),
    path("teams/<int:team_id>/", people.team, name="team"),
    path("teams/names/", boards.team_names, name="team-names"),
    path("agents/", agents.board, name="agents-board"),
    path("agents/<int:agent_id>/", agents.agent, name="agent"),
    path("manage/unattributed/", manage.unattributed, name="unattributed"),
    path("manage/agents/", manage.agents, name="agents"),
    path("about/", boards.about, name="about"),
    path("numbers/", boards.numbers, name="numbers"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/demo/", sign_in.demo_sign_in, name="demo-sign-in"),
]

urlpatterns = [
    path("", include((leaderboard_patterns, "leaderboard"))),
    path("", include("badges.urls")),
    path("", include("ingest.urls")),
    path("admin/login/", sign_in.admin_sign_in, name="admin-sign-in"),
    path("admin/", admin.site.urls),
    # Before allauth's own URLs, so its social signup form is never served.
    path("accounts/3rdparty/signup/", sign_in.sso_signup, name="sso-signup"),
    # Before allauth's too: the demo has no provider to sign in with, so this page sends on.
    path("accounts/login/", sign_in.sign_in, name="sign-in"),
    path("accounts/", include("allauth.urls")),
]

handler500 = "leaderboard.web.views.health.server_error"
