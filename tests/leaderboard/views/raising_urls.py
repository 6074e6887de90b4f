"""The project's URLs plus one page that fails, to see the 500 page as production serves it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from leaderboard.urls import handler500
from leaderboard.urls import urlpatterns as project_patterns


@login_not_required
def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view")


urlpatterns = [path("boom/", boom), *project_patterns]
__all__ = ["handler500", "urlpatterns"]
