"""A person's page and privacy choice, and a team's page."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from leaderboard.models import User
from leaderboard.selectors import people as pages
from leaderboard.selectors.site import sees_cost
from leaderboard.services import people, review
from leaderboard.web.views.common import (
    HtmxHttpRequest,
    htmx_part,
    logs_views,
    page_context,
    shows_selector_errors,
)


@require_GET
@vary_on_headers("HX-Request")
@logs_views("person", "public_id")
@shows_selector_errors
def person(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    page = pages.person_page(
        public_id,
        reader=cast("User", request.user),  # LoginRequiredMiddleware lets only users in
        kind=request.GET.get("period", ""),
        by=request.GET.get("by", ""),
        board=request.GET.get("board", ""),
        today=timezone.now().date(),
    )
    template = htmx_part(request, "leaderboard/person.html", "history")
    return render(request, template, page_context(page))


@require_GET
@vary_on_headers("HX-Request")
@logs_views("team", "team_id")
@shows_selector_errors
def team(request: HtmxHttpRequest, team_id: int) -> HttpResponse:
    kind = request.GET.get("period", "")
    show_cost = sees_cost(request.user)
    page = pages.team_page(team_id, kind=kind, show_cost=show_cost, today=timezone.now().date())
    template = htmx_part(request, "leaderboard/team.html", "team-body")
    return render(request, template, page_context(page))


@require_POST
@shows_selector_errors
def privacy(request: HttpRequest, public_id: str) -> HttpResponse:
    user = cast("User", request.user)  # LoginRequiredMiddleware lets only users in
    person = pages.own_person(public_id, reader=user)
    visibility = request.POST.get("visibility", "")
    try:
        people.set_visibility(person=person, visibility=visibility, by=user)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        shown = person.get_visibility_display().lower()
        messages.success(request, f"You now appear on boards {shown}.")
    return redirect("leaderboard:person", public_id=person.public_id)


@require_POST
@vary_on_headers("HX-Request")
@shows_selector_errors
def flag_note(request: HtmxHttpRequest, public_id: str, flag_id: int) -> HttpResponse:
    user = cast("User", request.user)  # LoginRequiredMiddleware lets only users in
    person, flag = pages.own_flag(public_id, flag_id, reader=user)
    try:
        review.add_note(flag=flag, person=person, note=request.POST.get("note", ""), by=user)
    except review.ReviewError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Your note is with the reviewer.")
    if request.htmx:
        flags = pages.own_flags(person)
        return render(request, "leaderboard/flags.html", {"person": person, "flags": flags})
    return redirect("leaderboard:person", public_id=person.public_id)
