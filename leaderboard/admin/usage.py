"""Usage: its sources, the facts (read-only) and model prices."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html

from leaderboard.domain.capabilities import reports_requests
from leaderboard.models import ModelPrice, Source, UsageFact
from leaderboard.selectors import usage
from leaderboard.services.usage import count_source

from .base import RecordAdmin


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = ["name", "provider", "counts_toward_totals"]
    list_editable = ["counts_toward_totals"]

    def save_model(
        self, request: HttpRequest, obj: Source, form: forms.ModelForm[Source], change: bool
    ) -> None:
        """Counting a source or not, in the list or the form, goes through the service: the
        boards are ranked again and badges re-checked."""
        if not (change and "counts_toward_totals" in form.changed_data):
            super().save_model(request, obj, form, change)
            return
        counted = obj.counts_toward_totals
        if len(form.changed_data) > 1:  # its name or provider too
            obj.counts_toward_totals = form.initial["counts_toward_totals"]
            super().save_model(request, obj, form, change)
        count_source(source=obj, counted=counted)


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
class ModelPriceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    """Prices by model and the day they apply from. A price change is a new row from its
    date: the rates of a saved row are read-only, so that no fact is repriced behind its
    day (leaderboard.domain.pricing)."""

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

    def get_readonly_fields(
        self, request: HttpRequest, obj: ModelPrice | None = None
    ) -> tuple[str, ...]:
        return self.RATES if obj is not None else ()

    @admin.display(description="source", ordering="source_url")
    def source(self, price: ModelPrice) -> str:
        if not price.source_url:
            return "—"
        return format_html(
            '<a href="{}" rel="noreferrer">{}</a>', price.source_url, price.source_url
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, object] | None = None
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
