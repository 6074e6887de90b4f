from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from leaderboard.services import ensure_source

from .models import Connection, IngestRun
from .tasks import pull_connection


class ConnectionForm(forms.ModelForm):
    """The admin key can be replaced but is never shown back."""

    new_api_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the stored key. Stored encrypted; never displayed.",
    )

    class Meta:
        model = Connection
        fields = ["name", "provider", "base_url", "enabled", "pull_every_minutes"]


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    form = ConnectionForm
    list_display = [
        "name",
        "provider",
        "enabled",
        "pull_every_minutes",
        "pulled_through",
        "last_pull_at",
        "has_key",
    ]
    list_filter = ["provider", "enabled"]
    readonly_fields = ["pulled_through", "last_pull_at"]
    actions = ["pull_now"]

    @admin.display(boolean=True, description="Key stored")
    def has_key(self, connection: Connection) -> bool:
        return bool(connection.encrypted_api_key)

    def save_model(self, request: HttpRequest, obj: Connection, form, change: bool) -> None:
        if form.cleaned_data.get("new_api_key"):
            obj.api_key = form.cleaned_data["new_api_key"]
        if not change:
            obj.source = ensure_source(name=obj.name, provider=obj.provider)
        super().save_model(request, obj, form, change)

    @admin.action(description="Pull now")
    def pull_now(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in queryset:
            pull_connection.delay_on_commit(connection.pk, trigger="admin")
        self.message_user(request, f"Queued {queryset.count()} pull(s); see Ingest runs.")


@admin.register(IngestRun)
class IngestRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "connection",
        "trigger",
        "window_start",
        "window_end",
        "status",
        "pages",
        "rows",
        "error",
    ]
    list_filter = ["status", "connection", "trigger"]
    list_select_related = ["connection"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
