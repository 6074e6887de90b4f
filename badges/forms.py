"""The forms an owner posts from their badges: the title to display, and the notices seen."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms

from .models import Badge

BIGGEST_ID = 2**63 - 1  # a bigint primary key


class TitleForm(forms.Form):
    """The title form's one field: a badge's id, or nothing for no title. A value that is
    no badge's id (not a number, or a badge since deleted) is the form's error."""

    badge = forms.ModelChoiceField(
        queryset=Badge.objects.all(),
        required=False,
        error_messages={"invalid_choice": "That badge does not exist; choose another title."},
    )


class IdsField(forms.Field):
    """One or more database ids, each a whole number a bigint holds (checked here, before
    any reaches a query: SQLite cannot even bind a bigger one)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": "Send ids of awards."}

    def to_python(self, value: Iterable[object] | None) -> list[int]:
        ids = []
        for item in value or []:
            text = str(item).strip()
            if not (text.isascii() and text.isdigit() and len(text) <= 19):
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            if not 0 < int(text) <= BIGGEST_ID:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            ids.append(int(text))
        return ids


class NoticesSeenForm(forms.Form):
    """The awards whose "new badge" notice the page showed (the ids it rendered)."""

    award = IdsField()
