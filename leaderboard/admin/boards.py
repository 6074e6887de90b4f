"""Boards and their status changes, the site-wide switch and the audit trail."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable
from typing import Any, Protocol, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from leaderboard.models import AuditEvent, Board, BoardStatusChange, PageView, SiteSwitch, User
from leaderboard.selectors.watermarks import WatermarkMatch, days_searched, watermark_matches
from leaderboard.services import boards
from leaderboard.services.audit import record_watermark_resolved

from .base import RecordAdmin


class BoardStatusChangeInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = BoardStatusChange
    fields = readonly_fields = (
        "changed_at",
        "from_status",
        "to_status",
        "retired_view",
        "changed_by",
    )
    extra = 0
    can_delete = False
    max_num = 0


class BoardListForm(forms.ModelForm):  # type: ignore[type-arg]  # generic in the stubs only
    """The changelist row: status toggles between active and paused in place."""

    class Meta:
        model = Board
        fields = ["status", "position"]

    # Passed on as they come: the admin's formset builds the form with ModelForm's own arguments.
    def __init__(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[explicit-any]
        super().__init__(*args, **kwargs)
        status = cast("forms.ChoiceField", self.fields["status"])  # the model field's choices
        if self.instance.status == Board.Status.RETIRED:
            status.disabled = True
        else:
            status.choices = [
                (s, label) for s, label in Board.Status.choices if s != Board.Status.RETIRED
            ]


class BoardChange(Protocol):
    """A status change of boards.services, as the admin makes it."""

    def __call__(self, *, board: Board, by: User | None) -> Board: ...


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = [
        "name",
        "slug",
        "metric",
        "period",
        "status",
        "position",
        "paused_at",
        "retired_at",
    ]
    list_editable = ["status", "position"]
    list_filter = ["status", "period", "metric", "top_only"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["teams", "sources"]
    fields = [
        "name",
        "slug",
        "description",
        "metric",
        "period",
        "teams",
        "sources",
        "min_activity",
        "ratio_min_volume",
        "top_only",
        "top_n",
        "neighbours",
        "position",
        "status_shown",
        "paused_at",
        "retired_at",
        "retired_view",
    ]
    readonly_fields = ["status_shown", "paused_at", "retired_at", "retired_view"]
    inlines = [BoardStatusChangeInline]
    actions = ["pause", "resume", "retire", "unretire"]

    @admin.display(description="Status")
    def status_shown(self, board: Board) -> str:
        return board.get_status_display()

    def get_changelist_form(self, request: HttpRequest, **kwargs: object) -> type[BoardListForm]:
        return BoardListForm

    def save_model(
        self, request: HttpRequest, obj: Board, form: forms.ModelForm[Board], change: bool
    ) -> None:
        """A status edited in the list goes through the same service as the actions."""
        wanted = form.cleaned_data.get("status") if "status" in form.changed_data else None
        if wanted:
            obj.status = form.initial["status"]
        super().save_model(request, obj, form, change)
        if wanted == Board.Status.PAUSED:
            self._do(request, boards.pause_board, [obj])
        elif wanted == Board.Status.ACTIVE:
            self._do(request, boards.resume_board, [obj])

    def _do(self, request: HttpRequest, change: BoardChange, queryset: Iterable[Board]) -> None:
        staff = cast("User", request.user)  # the admin lets only signed-in staff in
        for board in queryset:
            try:
                change(board=board, by=staff)
            except boards.BoardStatusError as exc:
                self.message_user(request, str(exc), messages.WARNING)
            else:
                self.message_user(request, f"{board.name}: now {board.get_status_display()}.")

    @admin.action(description="Pause (freeze standings, show a banner)")
    def pause(self, request: HttpRequest, queryset: QuerySet[Board]) -> None:
        self._do(request, boards.pause_board, queryset)

    @admin.action(description="Resume")
    def resume(self, request: HttpRequest, queryset: QuerySet[Board]) -> None:
        self._do(request, boards.resume_board, queryset)

    @admin.action(description="Retire (freeze final standings; archive or hide)")
    def retire(self, request: HttpRequest, queryset: QuerySet[Board]) -> HttpResponse | None:
        if "confirm" not in request.POST:
            return render(
                request,
                "admin/leaderboard/board/retire.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "boards": list(queryset),
                    "views": Board.RetiredView.choices,
                    "title": "Retire boards",
                },
            )
        view = request.POST.get("retired_view", Board.RetiredView.ARCHIVE)
        self._do(request, functools.partial(boards.retire_board, view=view), queryset)
        return None

    @admin.action(description="Un-retire (make active again)")
    def unretire(self, request: HttpRequest, queryset: QuerySet[Board]) -> None:
        self._do(request, boards.unretire_board, queryset)


@admin.register(BoardStatusChange)
class BoardStatusChangeAdmin(RecordAdmin):
    list_display = ["changed_at", "board", "from_status", "to_status", "retired_view", "changed_by"]
    list_filter = ["board", "to_status"]
    list_select_related = ["board", "changed_by"]
    date_hierarchy = "changed_at"


class SiteSwitchForm(forms.ModelForm):  # type: ignore[type-arg]  # generic in the stubs only
    class Meta:
        model = SiteSwitch
        fields = ["boards_visible"]


@admin.register(SiteSwitch)
class SiteSwitchAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    form = SiteSwitchForm
    list_display = ["__str__", "changed_by", "changed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: SiteSwitch, form: SiteSwitchForm, change: bool
    ) -> None:
        staff = cast("User", request.user)  # the admin lets only signed-in staff in
        boards.set_boards_visible(visible=obj.boards_visible, by=staff)


@admin.register(AuditEvent)
class AuditEventAdmin(RecordAdmin):
    list_display = ["at", "who", "action", "target_type", "target", "what_changed"]
    list_filter = ["action", "target_type"]
    list_select_related = ["actor"]
    search_fields = ["target", "action", "actor__email"]
    date_hierarchy = "at"
    fields = ("at", "who", "action", "target_type", "target_id", "target", "details_in_full")
    readonly_fields = fields

    @admin.display(description="Actor", ordering="actor__email")
    def who(self, event: AuditEvent) -> str:
        """The person behind a login (its name and e-mail), not its username ("person-22")."""
        return actor_name(event.actor)

    @admin.display(description="Details")
    def what_changed(self, event: AuditEvent) -> str:
        text = details_text(event.details)
        return text if len(text) <= DETAILS_SHOWN else text[: DETAILS_SHOWN - 1] + "…"

    @admin.display(description="Details")
    def details_in_full(self, event: AuditEvent) -> SafeString:
        return format_html("<pre>{}</pre>", json.dumps(event.details, indent=2, sort_keys=True))


DETAILS_SHOWN = 160  # characters of an event's details in the list; its page shows them all


def actor_name(user: User | None) -> str:
    if user is None:
        return "the system (a command or task)"
    name = user.get_full_name()
    return f"{name} <{user.email}>" if name and user.email else name or user.email or user.username


def details_text(details: object) -> str:
    """An event's details as "key: value" pairs in key order, nested values as JSON."""
    if not isinstance(details, dict):
        return json.dumps(details)
    return "; ".join(
        f"{key}: {value if isinstance(value, str | int | float) else json.dumps(value)}"
        for key, value in sorted(details.items())
    )


class WatermarkForm(forms.Form):
    code = forms.CharField(
        max_length=20, help_text="The 8 characters beside the time on a screenshot or export."
    )
    day = forms.DateField(
        required=False,
        help_text="The day (UTC) the watermark shows, YYYY-MM-DD; empty: the last VIEW_LOG_DAYS.",
    )


@admin.register(PageView)
class PageViewAdmin(RecordAdmin):
    """Who viewed which board or page, or made which export: read-only, kept VIEW_LOG_DAYS.
    Its list links to resolving a watermark code to the viewer (audited, as the
    resolve_watermark command)."""

    change_list_template = "admin/leaderboard/pageview/change_list.html"

    list_display = ["at", "viewer", "kind", "target", "query"]
    list_filter = ["kind"]
    list_select_related = ["viewer"]
    search_fields = ["target", "viewer__email"]
    date_hierarchy = "at"
    show_full_result_count = False  # the log is large; a COUNT(*) per page is not

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "watermark/",
                self.admin_site.admin_view(self.watermark_view),
                name="leaderboard_pageview_watermark",
            ),
            *super().get_urls(),
        ]

    def watermark_view(self, request: HttpRequest) -> HttpResponse:
        """Whose page or export carried a code; each viewer found is recorded as resolved."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = WatermarkForm(request.POST or None)
        matches: list[WatermarkMatch] | None = None
        if request.method == "POST" and form.is_valid():
            code, day = form.cleaned_data["code"], form.cleaned_data["day"]
            today = timezone.now().astimezone(dt.UTC).date()
            matches = watermark_matches(code, days=days_searched(day, today=today))
            staff = cast("User", request.user)  # the admin lets only signed-in staff in
            for match in matches:
                record_watermark_resolved(code=code, day=match.day, viewer=match.user, by=staff)
        return render(
            request,
            "admin/leaderboard/pageview/watermark.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Resolve a watermark",
                "form": form,
                "matches": matches,
            },
        )
