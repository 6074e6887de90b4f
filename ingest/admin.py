from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from leaderboard.admin import RecordAdmin
from leaderboard.domain.capabilities import capability_of
from leaderboard.models import User
from leaderboard.services.usage import count_source

from . import selectors
from .files import FileFormatError, file_format
from .models import Connection, IngestRun, Provider, RejectedRow, SetAside
from .providers import DEFAULT_BASE_URLS, check_connection_url
from .services import connections, deletions, receiver, uploads
from .services.runs import PullInProgress
from .tasks import pull_connection


class ConnectionForm(forms.ModelForm):  # type: ignore[type-arg]  # generic in the stubs only
    """The admin key can be replaced but is never shown back."""

    new_api_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the stored key. Stored encrypted; never displayed.",
    )

    class Meta:
        model = Connection
        fields = ["name", "provider", "base_url", "tenant", "enabled", "pull_every_minutes"]
        help_texts = {
            "base_url": "Empty: the provider's own API. A self-hosted proxy gives its address; "
            "file imports and OpenTelemetry receivers need none.",
        }

    # Passed on as they come: the admin builds the form with ModelForm's own arguments.
    def __init__(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[explicit-any]
        super().__init__(*args, **kwargs)
        self.fields["base_url"].required = False  # the provider's default, where it has one

    def clean(self) -> dict[str, object]:
        """A stored key goes only where it was entered for: moving the connection to another
        base URL needs the key typed again, and the URL must be one a key may be sent to. The
        name must be one its source and accounts can carry."""
        super().clean()
        data = self.cleaned_data
        provider, base_url = data.get("provider"), data.get("base_url")
        if provider and not base_url:
            base_url = data["base_url"] = DEFAULT_BASE_URLS.get(provider, "")
            if not base_url and provider not in (Provider.FILE, Provider.OTLP):
                self.add_error("base_url", "This provider has no default address: give its URL.")
        if data.get("name") and provider:
            try:
                connections.check_source_name(name=data["name"], provider=provider)
            except ValueError as exc:
                self.add_error("name", str(exc))
        if provider and base_url:
            try:
                check_connection_url(provider=provider, base_url=base_url)
            except ValueError as exc:
                self.add_error("base_url", str(exc))
        if provider:
            try:
                connections.check_tenant(provider=provider, tenant=data.get("tenant") or "")
            except ValueError as exc:
                self.add_error("tenant", str(exc))
        moved = self.instance.pk and "base_url" in self.changed_data
        if moved and self.instance.encrypted_api_key and not data.get("new_api_key"):
            self.add_error(
                "new_api_key",
                "Enter the admin key again to change the base URL: the stored key is only "
                "sent to the URL it was entered for.",
            )
        return data


class UsageFileForm(forms.Form):
    source = forms.SlugField(
        max_length=connections.FILE_SOURCE_MAX_LENGTH,
        help_text="The source these rows belong to, e.g. internal-gateway. "
        "Created on first import.",
    )
    file = forms.FileField(
        help_text="CSV or JSON Lines: day, email or external_id, model, "
        "input, cache_read, cache_write, output, requests, "
        "cost_usd (see the README)."
    )

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        # FileField's own cleaning refused an upload that has no name or no bytes
        name, size = upload.name or "", upload.size or 0
        limit = settings.IMPORT_MAX_BYTES
        if size > limit:
            raise forms.ValidationError(
                f"{name} is {filesizeformat(size)}; the admin imports files of up "
                f"to {filesizeformat(limit)} (IMPORT_MAX_BYTES). Split it, or import it with "
                "`manage.py import_usage`."
            )
        try:
            file_format(name)
        except FileFormatError:
            raise forms.ValidationError("Upload a .csv or a .jsonl file.") from None
        return upload

    @staticmethod
    def help() -> str:
        """What the import page says happens to the file."""
        return (
            "The file is imported in the background: good rows are imported; every bad row is "
            "kept under Rejected rows with its line number. Importing the same file again "
            f"changes nothing. Files of up to {filesizeformat(settings.IMPORT_MAX_BYTES)}; "
            "larger ones with `manage.py import_usage`."
        )

    @staticmethod
    def queued(upload: UploadedFile[bytes]) -> str:
        """What the admin is told once an upload is queued."""
        return (
            f"Queued {upload.name} ({filesizeformat(upload.size or 0)}) for import. This run shows "
            "its progress (reload to follow it); rejected rows are listed under Rejected rows."
        )


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    form = ConnectionForm
    list_display = [
        "name",
        "provider",
        "enabled",
        "counts_toward_totals",
        "pull_every_minutes",
        "pulled_through",
        "last_pull_at",
        "last_successful_pull",
        "complete_through",
        "cannot_report",
        "report",
        "has_key",
    ]
    list_filter = ["provider", "enabled", "source__counts_toward_totals", "report_path"]
    list_select_related = ["source"]
    search_fields = ["name"]
    readonly_fields = [
        "pulled_through",
        "last_pull_at",
        "report",
        "report_path_decided_at",
        "last_received_at",
    ]
    actions = [
        "pull_now",
        "test_connection",
        "include_in_totals",
        "exclude_from_totals",
        "new_receiver_token",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Connection]:
        return selectors.with_pull_state(super().get_queryset(request))

    @admin.display(description="Last successful pull", ordering="last_ok_at")
    def last_successful_pull(self, connection: Connection) -> dt.datetime | None:
        # get_queryset's annotation (selectors.with_pull_state), unknown to the model
        last: dt.datetime | None = connection.last_ok_at  # type: ignore[attr-defined]
        return last

    @admin.display(description="Complete through")
    def complete_through(self, connection: Connection) -> dt.date | None:
        return selectors.pull_state(connection).complete_through

    @admin.display(description="Cannot report")
    def cannot_report(self, connection: Connection) -> str:
        return "; ".join(capability_of(connection.source.provider).cannot_report) or "-"

    @admin.display(boolean=True, description="Key stored")
    def has_key(self, connection: Connection) -> bool:
        return bool(connection.encrypted_api_key)

    @admin.display(description="Report read", ordering="report_path")
    def report(self, connection: Connection) -> str:
        """Anthropic: the analytics API or the legacy report, as the last pull found."""
        if connection.provider != Provider.ANTHROPIC:
            return "-"
        return connection.get_report_path_display() or "Not pulled yet"

    @admin.display(
        boolean=True, description="Counts toward totals", ordering="source__counts_toward_totals"
    )
    def counts_toward_totals(self, connection: Connection) -> bool:
        return connection.source.counts_toward_totals

    def save_model(
        self, request: HttpRequest, obj: Connection, form: ConnectionForm, change: bool
    ) -> None:
        connections.save_connection(
            connection=obj,
            changed=[f for f in form.changed_data if f != "new_api_key"],
            api_key=form.cleaned_data.get("new_api_key", ""),
            by=cast("User", request.user),  # the admin lets only signed-in staff in
        )
        if obj.provider == Provider.OTLP and not obj.token_hash:
            self.show_token(request, obj)

    def show_token(self, request: HttpRequest, connection: Connection) -> None:
        """Issue a receiver's bearer token and show it, this once."""
        token = receiver.issue_token(connection=connection, by=cast("User", request.user))
        self.message_user(
            request,
            f"Receiver {connection.name}: point exporters at /otlp/{connection.name} with "
            f'OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer {token}". This token is shown '
            "once and stored only as a hash; copy it now.",
            messages.WARNING,
        )

    @admin.action(description="Issue a new receiver token (OpenTelemetry receivers)")
    def new_receiver_token(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in queryset.filter(provider=Provider.OTLP):
            self.show_token(request, connection)

    @admin.action(description="Pull now")
    def pull_now(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        pullable = queryset.exclude(provider=Provider.FILE)
        for connection in pullable:
            pull_connection.delay_on_commit(connection.pk, trigger="admin")
        self.message_user(request, f"Queued {pullable.count()} pull(s); see Ingest runs.")

    @admin.action(description="Test connection")
    def test_connection(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in queryset.exclude(provider=Provider.FILE):
            said = connections.check_connection(connection=connection)
            self.message_user(request, f"Connection {connection.name}: {said}")

    @admin.action(description="Count toward leaderboard totals")
    def include_in_totals(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in queryset:
            count_source(source=connection.source, counted=True)
        self.message_user(request, f"{queryset.count()} source(s) now count toward totals.")

    @admin.action(description="Exclude from leaderboard totals (keep the data)")
    def exclude_from_totals(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in queryset:
            count_source(source=connection.source, counted=False)
        self.message_user(request, f"{queryset.count()} source(s) excluded from totals.")

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="ingest_connection_import",
            ),
            path(
                "data-status/",
                self.admin_site.admin_view(self.data_status_view),
                name="ingest_connection_data_status",
            ),
            *super().get_urls(),
        ]

    def data_status_view(self, request: HttpRequest) -> HttpResponse:
        """The data status page's facts, for staff: every source, one row each."""
        if not self.has_view_permission(request):
            return redirect("admin:index")
        return render(
            request,
            "admin/ingest/data_status.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Data status",
                "sources": selectors.data_status(now=timezone.now()),
            },
        )

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Keep an uploaded usage file and queue its import; the run shows its progress."""
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = UsageFileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                run = uploads.queue_usage_file(
                    source=form.cleaned_data["source"], upload=upload, filename=upload.name
                )
            except ValueError as exc:
                form.add_error("source", str(exc))
            else:
                self.message_user(request, UsageFileForm.queued(upload), messages.SUCCESS)
                return redirect(reverse("admin:ingest_ingestrun_change", args=[run.pk]))
        return render(
            request,
            "admin/import_form.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Import usage file",
                "form": form,
                "help": UsageFileForm.help(),
            },
        )


@admin.register(IngestRun)
class IngestRunAdmin(RecordAdmin):
    list_display = [
        "started_at",
        "connection",
        "trigger",
        "file_name",
        "window_start",
        "window_end",
        "status",
        "pages",
        "rows",
        "rejected_link",
        "held",
        "duration",
        "error",
    ]
    list_filter = ["status", "connection", "trigger"]
    list_select_related = ["connection"]
    date_hierarchy = "started_at"
    actions = ["confirm_held_deletions"]

    @admin.action(description="Confirm held deletions (delete the facts these pulls missed)")
    def confirm_held_deletions(self, request: HttpRequest, queryset: QuerySet[IngestRun]) -> None:
        deleted = busy = 0
        staff = cast("User", request.user)  # the admin lets only signed-in staff in
        for run in queryset.filter(status=IngestRun.Status.HELD).select_related("connection"):
            try:
                deleted += deletions.confirm_held_deletions(run=run, by=staff)
            except PullInProgress:
                busy += 1
        self.message_user(request, f"{deleted} held fact(s) deleted.")
        if busy:
            self.message_user(
                request,
                f"{busy} run(s) skipped: their connection is being pulled; try again after.",
                messages.WARNING,
            )

    @admin.display(description="Rejected")
    def rejected_link(self, run: IngestRun) -> str:
        if not run.rejected:
            return "0"
        url = reverse("admin:ingest_rejectedrow_changelist") + f"?run__id__exact={run.pk}"
        return format_html('<a href="{}">{}</a>', url, run.rejected)


@admin.register(RejectedRow)
class RejectedRowAdmin(RecordAdmin):
    list_display = ["last_seen", "connection", "location", "reason", "run"]
    list_filter = ["connection"]
    list_select_related = ["connection", "run"]
    search_fields = ["reason", "raw", "location"]
    readonly_fields = ["connection", "run", "location", "reason", "raw", "first_seen", "last_seen"]
    exclude = ["fingerprint"]


@admin.register(SetAside)
class SetAsideAdmin(RecordAdmin):
    """Usage a pull did not count because another source's figures stand for that person and
    day (ingest.overlap): what was set aside, and why."""

    list_display = [
        "day",
        "connection",
        "email",
        "account",
        "model",
        "total_tokens",
        "requests",
        "standing",
        "reason",
    ]
    list_filter = ["connection", "standing"]
    list_select_related = ["connection", "standing"]
    search_fields = ["email", "account", "model"]
    date_hierarchy = "day"
    show_facets = admin.ShowFacets.ALWAYS

    @admin.display(description="Total tokens")
    def total_tokens(self, row: SetAside) -> int:
        return row.total_tokens
