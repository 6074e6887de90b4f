"""The agents' own board and an agent's page (automation, ranked apart from people)."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from leaderboard.models import User
from leaderboard.selectors import agents as pages
from leaderboard.selectors.site import sees_cost
from leaderboard.web.views.common import (
    bounded_int,
    logs_views,
    page_context,
    shows_selector_errors,
)


@require_GET
@logs_views("agents", "")
@shows_selector_errors
def board(request: HttpRequest) -> HttpResponse:
    user = cast("User", request.user)  # LoginRequiredMiddleware lets only users in
    page = pages.agents_board(
        lens=request.GET.get("lens", ""),
        kind=request.GET.get("period", ""),
        back=bounded_int(request.GET.get("back"), 0, high=520),
        page=request.GET.get("page"),
        reader=user,
        show_cost=sees_cost(user),
        today=timezone.now().date(),
    )
    return render(request, "leaderboard/agents_board.html", page_context(page))


@require_GET
@logs_views("agent", "agent_id")
@shows_selector_errors
def agent(request: HttpRequest, agent_id: int) -> HttpResponse:
    user = cast("User", request.user)  # LoginRequiredMiddleware lets only users in
    page = pages.agent_page(
        agent_id,
        reader=user,
        kind=request.GET.get("period", ""),
        by=request.GET.get("by", ""),
        show_cost=sees_cost(user),
        today=timezone.now().date(),
    )
    return render(request, "leaderboard/agent.html", page_context(page))
