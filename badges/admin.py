from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from leaderboard.admin import RecordAdmin
from leaderboard.models import User
from leaderboard.services import audit

from . import rules, selectors, services, tasks
from .models import Award, Badge, Progress


class BadgeForm(forms.ModelForm):  # type: ignore[type-arg]  # generic in the stubs only
    class Meta:
        model = Badge
        fields = [
            "name",
            "slug",
            "icon",
            "group",
            "title",
            "description",
            "kind",
            "params",
            "tiers",
            "period",
            "policy",
            "enabled",
            "retired",
        ]

    def clean(self) -> dict[str, object]:
        super().clean()
        data = self.cleaned_data
        if not self.errors:
            rules.validate(
                kind=data["kind"],
                params=data.get("params") or {},
                tiers=data.get("tiers") or {},
                period=data["period"],
            )
        return data


@admin.register(Badge)
class BadgeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    form = BadgeForm
    list_display = [
        "icon",
        "name",
        "title",
        "group",
        "kind",
        "period",
        "policy",
        "enabled",
        "retired",
        "holders",
    ]
    list_display_links = ["name"]
    list_editable = ["enabled"]
    list_filter = ["group", "kind", "period", "policy", "enabled", "retired"]
    search_fields = ["name", "slug", "title", "description"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["preview"]
    actions = ["show_preview", "evaluate_now", "retire", "unretire"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "icon", "group", "title", "description"]}),
        ("Rule", {"fields": ["kind", "params", "tiers", "period", "policy"]}),
        ("State", {"fields": ["enabled", "retired", "preview"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Badge]:
        badges: QuerySet[Badge] = super().get_queryset(request)
        return badges.annotate(
            holder_count=Count(
                "awards__person", filter=Q(awards__revoked_at__isnull=True), distinct=True
            )
        )

    @admin.display(description="Holders", ordering="holder_count")
    def holders(self, badge: Badge) -> int:
        # get_queryset's annotation, unknown to the model
        count: int = badge.holder_count  # type: ignore[attr-defined]
        return count

    @admin.display(description="Preview (who would hold it now; nothing is granted)")
    def preview(self, badge: Badge) -> str:
        if not badge.pk:
            return "Save first to see a preview."
        result = selectors.badge_preview(badge=badge)
        tiers = ", ".join(f"{tier}: {count}" for tier, count in result.by_tier.items())
        sample = ", ".join(result.sample)
        return f"{result.people} people ({tiers or 'none'})" + (
            f"; for example {sample}" if sample else ""
        )

    def save_model(self, request: HttpRequest, obj: Badge, form: BadgeForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit.record(
            actor=cast("User", request.user),  # the admin lets only signed-in staff in
            action="badge changed" if change else "badge created",
            target=obj,
            details={"fields": form.changed_data},
        )
        # A new or edited badge is evaluated over all history.
        transaction.on_commit(lambda: tasks.evaluate_badge.delay(obj.pk))

    @admin.action(description="Preview (grants nothing)")
    def show_preview(self, request: HttpRequest, queryset: QuerySet[Badge]) -> None:
        for badge in queryset:
            self.message_user(request, f"Preview of {badge.name}: {self.preview(badge)}")

    @admin.action(description="Evaluate now over all history")
    def evaluate_now(self, request: HttpRequest, queryset: QuerySet[Badge]) -> None:
        for badge in queryset:
            tasks.evaluate_badge.delay_on_commit(badge.pk)
        self.message_user(request, f"Queued {queryset.count()} evaluation(s).")

    @admin.action(description="Retire (no longer earnable; awards stay visible)")
    def retire(self, request: HttpRequest, queryset: QuerySet[Badge]) -> None:
        staff = cast("User", request.user)  # the admin lets only signed-in staff in
        for badge in queryset:
            services.set_retired(badge=badge, retired=True, by=staff)
        self.message_user(request, f"Retired {queryset.count()} badge(s).", messages.WARNING)

    @admin.action(description="Un-retire")
    def unretire(self, request: HttpRequest, queryset: QuerySet[Badge]) -> None:
        staff = cast("User", request.user)  # the admin lets only signed-in staff in
        for badge in queryset:
            services.set_retired(badge=badge, retired=False, by=staff)
        self.message_user(request, f"Un-retired {queryset.count()} badge(s).")


@admin.register(Award)
class AwardAdmin(RecordAdmin):
    list_display = [
        "granted_at",
        "person",
        "badge",
        "tier",
        "tiers_reached",
        "period_start",
        "period_end",
        "quiet",
        "revoked_at",
        "revoked_reason",
    ]
    list_filter = ["badge", "tier", ("revoked_at", admin.EmptyFieldListFilter), "quiet"]
    list_select_related = ["person", "badge"]
    search_fields = ["person__display_name", "person__email", "badge__name"]
    date_hierarchy = "granted_at"
    show_facets = admin.ShowFacets.ALWAYS


@admin.register(Progress)
class ProgressAdmin(RecordAdmin):
    """Tiers reached so far in unsettled periods: the engine's, read-only like awards."""

    list_display = ["person", "badge", "tier", "period_start", "period_end", "settles_on"]
    list_filter = ["badge", "tier"]
    list_select_related = ["person", "badge"]
    search_fields = ["person__display_name", "person__email", "badge__name"]
    date_hierarchy = "settles_on"
    show_facets = admin.ShowFacets.ALWAYS
