"""What every admin module shares: the lists of records the system keeps."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.filters import ListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest


class DateDrillDownChangeList(ChangeList):
    """Django's date drill-down builds a datetime from ?<field>__year= and lets the
    OverflowError of a huge year out as a 500; it is a wrong filter like any other, which
    the admin answers by sending the manager back to the unfiltered list."""

    def get_filters(
        self, request: HttpRequest
    ) -> tuple[list[ListFilter], bool, dict[str, bool | str], bool, bool]:
        try:
            return super().get_filters(request)
        except OverflowError as exc:
            raise IncorrectLookupParameters(exc) from exc


class RecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    """Records the system keeps (facts, runs, awards, audit): readable, never edited here.
    Every list with a date drill-down is one of them."""

    def get_changelist(self, request: HttpRequest, **kwargs: object) -> type[ChangeList]:
        return DateDrillDownChangeList

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
