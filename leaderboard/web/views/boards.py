"""The boards: the index, a board's standings, the team names its filter suggests, and the
page that says what the numbers mean."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from leaderboard.selectors import about as about_pages
from leaderboard.selectors import boards as pages
from leaderboard.selectors.site import sees_cost
from leaderboard.web.views.common import (
    HtmxHttpRequest,
    bounded_int,
    htmx_part,
    logs_views,
    page_context,
    reader_of,
    shows_selector_errors,
)


@require_GET
@shows_selector_errors
def boards(request: HttpRequest) -> HttpResponse:
    page = pages.boards_page(
        reader=reader_of(request), show_cost=sees_cost(request.user), today=timezone.now().date()
    )
    return render(request, "leaderboard/boards.html", page_context(page))


@require_GET
@vary_on_headers("HX-Request")
@logs_views("board", "slug")
@shows_selector_errors
def board(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    query = pages.BoardQuery(
        lens=request.GET.get("lens", ""),
        # no period asked for: the board's default (the last complete one while it is young)
        back=bounded_int(request.GET["back"], 0, high=520) if request.GET.get("back") else None,
        team=request.GET.get("team", "").strip()[:120],
        search=request.GET.get("q", "").strip()[:100],
        page=request.GET.get("page"),
    )
    page = pages.board_page(
        slug,
        query,
        reader=reader_of(request),
        show_cost=sees_cost(request.user),
        today=timezone.now().date(),
    )
    if isinstance(page, pages.ArchivePage):
        return render(request, "leaderboard/archive.html", page_context(page))
    template = htmx_part(request, "leaderboard/board.html", "standings")
    return render(request, template, page_context(page))


@require_GET
def team_names(request: HttpRequest) -> HttpResponse:
    """Suggestions for the team search box: every team's name, as datalist options."""
    response = render(request, "leaderboard/team_names.html", {"teams": pages.team_names()})
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_GET
def about(request: HttpRequest) -> HttpResponse:
    """What the numbers mean (a page with no query of its own: the benchmarks' baseline)."""
    return render(request, "leaderboard/about.html")


@require_GET
def numbers(request: HttpRequest) -> HttpResponse:
    """How the numbers work: each lens's formula and each badge in words, with its rarity."""
    page = about_pages.about_page(today=timezone.now().date())
    return render(request, "leaderboard/numbers.html", page_context(page))
