"""Pages for leaderboard managers outside the Django admin: usage nobody owns yet, and the
agents (automation, ranked apart from people)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from leaderboard.selectors.usage import agents_page, unattributed_page
from leaderboard.web.views.common import page_context


@require_GET
def unattributed(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise Http404
    page = unattributed_page(today=timezone.now().date())
    return render(request, "leaderboard/unattributed.html", page_context(page))


@require_GET
def agents(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise Http404
    page = agents_page(today=timezone.now().date())
    return render(request, "leaderboard/agents.html", page_context(page))
