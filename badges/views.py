from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from leaderboard.models import Person

from . import services
from .models import Badge


@require_POST
def choose_title(request: HttpRequest, public_id: str) -> HttpResponse:
    person = Person.objects.filter(public_id=public_id).first()
    if person is None or person.user_id is None or person.user_id != request.user.pk:
        # As for a missing id: a refusal would tell that this person exists (maybe hidden).
        raise Http404("No such person on Tokenboard.")
    badge_id = request.POST.get("badge")
    badge = get_object_or_404(Badge, pk=badge_id) if badge_id else None
    try:
        services.choose_title(person=person, badge=badge)
    except services.TitleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Your title is now {badge.title}." if badge else "You display no title now."
        )
    return redirect("leaderboard:person", public_id=person.public_id)
