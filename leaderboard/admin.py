from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count, Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.html import format_html

from leaderboard.domain import text
from leaderboard.domain.capabilities import reports_requests
from leaderboard.domain.directory import DirectoryFormatError
from leaderboard.selectors import usage
from leaderboard.services import accounts, boards, people

from .models import (
    Account,
    AuditEvent,
    Board,
    BoardStatusChange,
    ModelPrice,
    Person,
    SiteSwitch,
    Source,
    Team,
    UsageFact,
    User,
    total_tokens,
)

admin.site.site_header = "Tokenboard administration"
admin.site.site_title = "Tokenboard admin"
admin.site.site_url = "/"


class DateDrillDownChangeList(ChangeList):
    """Django's date drill-down builds a datetime from ?<field>__year= and lets the
    OverflowError of a huge year out as a 500; it is a wrong filter like any other, which
    the admin answers by sending the manager back to the unfiltered list."""

    def get_filters(self, request: HttpRequest) -> tuple[object, ...]:
        try:
            return super().get_filters(request)
        except OverflowError as exc:
            raise IncorrectLookupParameters(exc) from exc


SHOWN_PROBLEMS = 20  # directory import problems shown after an upload


class RecordAdmin(admin.ModelAdmin):
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


admin.site.register(User, UserAdmin)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(ordering="member_count")
    def member_count(self, team: Team) -> int:
        return team.member_count  # type: ignore[attr-defined]


class AccountInline(admin.TabularInline):
    model = Account
    fields = ["provider", "external_id", "email", "kind", "matched_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


class DirectoryForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header: email, name, team, manager_email.")


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["display_name", "email", "team", "manager", "visibility", "user"]
    list_filter = ["team"]
    list_select_related = ["team", "user", "manager"]
    search_fields = ["display_name", "email"]
    show_facets = admin.ShowFacets.ALWAYS
    inlines = [AccountInline]
    autocomplete_fields = ["manager"]
    # The person's own choice, and who they are: sign-in alone links a user, since whoever
    # holds the link may act as the person (their privacy choice, their page).
    readonly_fields = ["user", "visibility", "pseudonym"]

    def get_urls(self) -> list:
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="leaderboard_person_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = DirectoryForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = people.import_people(stream=form.cleaned_data["file"].file)
            except DirectoryFormatError as exc:
                form.add_error("file", str(exc))
            else:
                self.message_user(
                    request, f"{result.created} people created, {result.updated} updated."
                )
                # The first few: a message each for a whole file of bad lines would not fit
                # the session.
                for problem in result.problems[:SHOWN_PROBLEMS]:
                    self.message_user(
                        request, f"Line {problem.line}: {problem.reason}", messages.WARNING
                    )
                if len(result.problems) > SHOWN_PROBLEMS:
                    self.message_user(
                        request,
                        f"… and {len(result.problems) - SHOWN_PROBLEMS:,} more problem(s); "
                        "`manage.py import_people` lists them all.",
                        messages.WARNING,
                    )
                return redirect("admin:leaderboard_person_changelist")
        return render(
            request,
            "admin/import_form.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Import directory",
                "form": form,
                "help": "People are matched by e-mail (any case): new ones are created, existing "
                "ones updated. Their provider accounts are linked at once.",
            },
        )

    def save_model(self, request: HttpRequest, obj: Person, form, change: bool) -> None:
        obj.email = text.normalize_email(obj.email)
        super().save_model(request, obj, form, change)
        accounts.match_accounts()


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "provider", "counts_toward_totals"]
    list_editable = ["counts_toward_totals"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "provider",
        "kind",
        "email",
        "owner_email",
        "total_tokens",
        "last_day",
        "person",
        "matched_by",
    ]
    list_editable = ["person"]
    list_filter = ["provider", "kind", ("person", admin.EmptyFieldListFilter), "matched_by"]
    list_select_related = ["person"]
    search_fields = ["external_id", "email", "owner_email", "name", "person__display_name"]
    show_facets = admin.ShowFacets.ALWAYS
    readonly_fields = [
        "provider",
        "external_id",
        "kind",
        "email",
        "name",
        "owner_email",
        "matched_by",
        "first_seen",
    ]
    autocomplete_fields = ["person"]
    fields = ["person", *readonly_fields]

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .annotate(usage_tokens=Sum(total_tokens("usage__")), usage_last_day=Max("usage__day"))
        )

    @admin.display(description="Usage (tokens)", ordering="usage_tokens")
    def total_tokens(self, account: Account) -> str:
        return f"{account.usage_tokens or 0:,}"  # type: ignore[attr-defined]

    @admin.display(description="Last usage", ordering="usage_last_day")
    def last_day(self, account: Account):
        return account.usage_last_day  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Account, form, change: bool) -> None:
        """Assigning a person goes through the service, so the whole history moves with it."""
        if "person" in form.changed_data:
            try:
                accounts.attribute_account(account=obj, person=obj.person)
            except accounts.AttributionError as exc:
                self.message_user(request, str(exc), messages.ERROR)


@admin.register(UsageFact)
class UsageFactAdmin(RecordAdmin):
    list_display = [
        "day",
        "source",
        "account",
        "model",
        "input",
        "cache_read",
        "cache_write",
        "output",
        "requests_shown",
        "cost",
        "cost_estimated",
    ]
    list_filter = ["source", "cost_estimated", "model"]
    list_select_related = ["source", "account"]
    search_fields = ["account__email", "account__external_id", "model"]
    date_hierarchy = "day"

    @admin.display(description="Requests", ordering="requests")
    def requests_shown(self, fact: UsageFact) -> str:
        """n/a, not 0, for a source that cannot report requests."""
        return f"{fact.requests:,}" if reports_requests(fact.source) else "n/a"


@admin.register(ModelPrice)
class ModelPriceAdmin(admin.ModelAdmin):
    """Prices by model and the day they apply from. A price change is a new row from its
    date: the rates of a saved row are read-only, so that no fact is repriced behind its
    day (leaderboard.pricing)."""

    list_display = [
        "model",
        "effective_from",
        "input_per_million",
        "cached_input_per_million",
        "cache_write_per_million",
        "cache_write_1h_per_million",
        "output_per_million",
        "batch_multiplier",
        "priority_multiplier",
        "regional_multiplier",
        "source",
        "source_date",
        "confirmed",
    ]
    list_filter = ["confirmed", "effective_from"]
    search_fields = ["model", "source_url"]
    ordering = ["model", "-effective_from"]
    show_facets = admin.ShowFacets.ALWAYS
    RATES = (
        "model",
        "effective_from",
        "input_per_million",
        "cached_input_per_million",
        "cache_write_per_million",
        "cache_write_1h_per_million",
        "output_per_million",
        "batch_multiplier",
        "priority_multiplier",
        "flex_multiplier",
        "long_context_threshold",
        "long_context_input_multiplier",
        "long_context_output_multiplier",
        "regional_multiplier",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: ModelPrice | None = None) -> Any:
        return self.RATES if obj is not None else ()

    @admin.display(description="source", ordering="source_url")
    def source(self, price: ModelPrice) -> str:
        if not price.source_url:
            return "—"
        return format_html(
            '<a href="{}" rel="noreferrer">{}</a>', price.source_url, price.source_url
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        unpriced = usage.unpriced_models()
        if unpriced:
            self.message_user(
                request,
                "Models seen in usage with no price (their cost is not estimated): "
                + ", ".join(unpriced),
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)


class BoardStatusChangeInline(admin.TabularInline):
    model = BoardStatusChange
    fields = ["changed_at", "from_status", "to_status", "retired_view", "changed_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


class BoardListForm(forms.ModelForm):
    """The changelist row: status toggles between active and paused in place."""

    class Meta:
        model = Board
        fields = ["status", "position"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.status == Board.Status.RETIRED:
            self.fields["status"].disabled = True
        else:
            self.fields["status"].choices = [
                (s, label) for s, label in Board.Status.choices if s != Board.Status.RETIRED
            ]


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
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
    list_filter = ["status", "period", "metric"]
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

    def get_changelist_form(self, request: HttpRequest, **kwargs):
        return BoardListForm

    def save_model(self, request: HttpRequest, obj: Board, form, change: bool) -> None:
        """A status edited in the list goes through the same service as the actions."""
        wanted = form.cleaned_data.get("status") if "status" in form.changed_data else None
        if wanted:
            obj.status = form.initial["status"]
        super().save_model(request, obj, form, change)
        if wanted == Board.Status.PAUSED:
            self._do(request, boards.pause_board, [obj])
        elif wanted == Board.Status.ACTIVE:
            self._do(request, boards.resume_board, [obj])

    def _do(self, request: HttpRequest, change, queryset, **kwargs) -> None:
        for board in queryset:
            try:
                change(board=board, by=request.user, **kwargs)
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
        self._do(
            request,
            boards.retire_board,
            queryset,
            view=request.POST.get("retired_view", Board.RetiredView.ARCHIVE),
        )
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


class SiteSwitchForm(forms.ModelForm):
    class Meta:
        model = SiteSwitch
        fields = ["boards_visible"]


@admin.register(SiteSwitch)
class SiteSwitchAdmin(admin.ModelAdmin):
    form = SiteSwitchForm
    list_display = ["__str__", "changed_by", "changed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: SiteSwitch, form, change: bool) -> None:
        boards.set_boards_visible(visible=obj.boards_visible, by=request.user)


@admin.register(AuditEvent)
class AuditEventAdmin(RecordAdmin):
    list_display = ["at", "actor", "action", "target_type", "target", "details"]
    list_filter = ["action", "target_type"]
    list_select_related = ["actor"]
    search_fields = ["target", "action", "actor__email"]
    date_hierarchy = "at"
