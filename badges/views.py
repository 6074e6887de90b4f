from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from leaderboard.models import Person

from . import services
from .models import Badge


@require_POST
def choose_title(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=person_id)
    if person.user_id != request.user.pk:
        return HttpResponseForbidden("Only you can choose your title.")
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
    return redirect("leaderboard:person", person_id=person.pk)
