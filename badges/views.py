from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from leaderboard.models import Person

from . import services
from .models import Badge


class TitleForm(forms.Form):
    """The title form's one field: a badge's id, or nothing for no title. A value that is
    no badge's id (not a number, or a badge since deleted) is the form's error."""

    badge = forms.ModelChoiceField(
        queryset=Badge.objects.all(),
        required=False,
        error_messages={"invalid_choice": "That badge does not exist; choose another title."},
    )


@require_POST
def choose_title(request: HttpRequest, public_id: str) -> HttpResponse:
    person = Person.objects.filter(public_id=public_id).first()
    if person is None or person.user_id is None or person.user_id != request.user.pk:
        # As for a missing id: a refusal would tell that this person exists (maybe hidden).
        raise Http404("No such person on Tokenboard.")
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
