"""The owner's two posts from their badges: the title they display, and the notices seen.
The page itself (leaderboard's person page) renders badges through badges.templatetags."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from leaderboard.models import Person
from leaderboard.web.views.common import HtmxHttpRequest

from . import services
from .forms import NoticesSeenForm, TitleForm


def _own(request: HttpRequest, public_id: str) -> Person:
    """The signed-in person, if the URL names them."""
    person = get_object_or_404(Person, public_id=public_id)
    if person.user_id is None or person.user_id != request.user.pk:
        # As for a missing id: a refusal would tell that this person exists (maybe hidden).
        raise Http404("No such person on Tokenboard.")
    return person


@require_POST
def choose_title(request: HttpRequest, public_id: str) -> HttpResponse:
    person = _own(request, public_id)
    form = TitleForm(request.POST)
    if not form.is_valid():
        messages.error(request, str(form.errors["badge"][0]))
        return redirect("leaderboard:person", public_id=person.public_id)
    badge = form.cleaned_data["badge"]
    try:
        services.choose_title(person=person, badge=badge)
    except services.TitleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Your title is now {badge.title}." if badge else "You display no title now."
        )
    return redirect("leaderboard:person", public_id=person.public_id)


@require_POST
def notices_seen(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    """The page showed these "new badge" notices: htmx posts this as the notice loads (the
    notice stays on that page); without JavaScript, the notice's Dismiss button does."""
    person = _own(request, public_id)
    form = NoticesSeenForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Say which awards' notices were shown.")
    services.mark_noticed(person=person, award_ids=form.cleaned_data["award"])
    if request.htmx:
        return HttpResponse(status=204)
    return redirect("leaderboard:person", public_id=person.public_id)
