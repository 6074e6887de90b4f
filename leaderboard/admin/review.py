"""Gaming review in the admin: the rules (thresholds are data) and the held person-days,
which managers confirm or clear (through leaderboard.services.review, audited)."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from leaderboard import tasks
from leaderboard.domain import gaming
from leaderboard.models import Flag, GamingRule, User
from leaderboard.services import outbox, review

from .base import RecordAdmin


class GamingRuleForm(forms.ModelForm):  # type: ignore[type-arg]  # generic in the stubs only
    class Meta:
        model = GamingRule
        fields = ["slug", "kind", "params", "enabled", "description"]

    def clean(self) -> dict[str, object]:
        super().clean()
        data = self.cleaned_data
        if not self.errors:
            params = data.get("params") or {}
            if not isinstance(params, dict):
                raise forms.ValidationError({"params": "give the thresholds as a JSON object"})
            try:
                gaming.validate(data["kind"], params)
            except gaming.RuleError as exc:
                raise forms.ValidationError({"params": str(exc)}) from exc
        return data


@admin.register(GamingRule)
class GamingRuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    form = GamingRuleForm
    list_display = ["slug", "kind", "enabled", "in_words"]
    list_editable = ["enabled"]
    list_filter = ["kind", "enabled"]
    search_fields = ["slug", "description"]
    readonly_fields = ["in_words"]
    actions = ["run_now"]

    @admin.display(description="In words (with defaults)")
    def in_words(self, rule: GamingRule) -> str:
        try:
            return rule.description or gaming.describe(rule.kind, rule.params)
        except gaming.RuleError as exc:
            return f"Invalid: {exc}"

    def save_model(
        self,
        request: HttpRequest,
        obj: GamingRule,
        form: forms.ModelForm[GamingRule],
        change: bool,
    ) -> None:
        review.save_rule(rule=obj, by=cast("User", request.user))

    @admin.action(description="Run the enabled rules over all history now")
    def run_now(self, request: HttpRequest, queryset: QuerySet[GamingRule]) -> None:
        outbox.queue(tasks.detect_gaming)
        self.message_user(request, "The rules run over all history in the background.")


@admin.register(Flag)
class FlagAdmin(RecordAdmin):
    list_display = ["day", "person", "rule", "status", "reason", "person_note", "reviewed_by"]
    list_filter = ["status", "rule"]
    list_select_related = ["person", "rule", "reviewed_by"]
    search_fields = ["person__display_name", "person__email", "reason", "person_note"]
    date_hierarchy = "day"
    show_facets = admin.ShowFacets.ALWAYS
    fields = readonly_fields = (
        "person",
        "day",
        "rule",
        "status",
        "reason",
        "evidence",
        "person_note",
        "reviewed_by",
        "reviewed_at",
        "created_at",
    )
    actions = ["confirm", "clear"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Viewing a flag and the review actions need it; every field is read-only.
        return bool(request.user.has_perm("leaderboard.change_flag"))

    @admin.action(description="Confirm: keep these days out")
    def confirm(self, request: HttpRequest, queryset: QuerySet[Flag]) -> None:
        done = review.confirm(flags=queryset, by=cast("User", request.user))
        self.message_user(request, f"{len(done)} flag(s) confirmed: those days stay out.")

    @admin.action(description="Clear: these days count again")
    def clear(self, request: HttpRequest, queryset: QuerySet[Flag]) -> None:
        done = review.clear(flags=queryset, by=cast("User", request.user))
        self.message_user(request, f"{len(done)} flag(s) cleared: those days count again.")
