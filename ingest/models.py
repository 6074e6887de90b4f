"""Provider connections and the record of every pull."""

from __future__ import annotations

import datetime as dt

from django.db import models

from leaderboard.models import Person, Source

from . import credentials


class Provider(models.TextChoices):
    OPENAI = "openai", "OpenAI"
    ANTHROPIC = "anthropic", "Anthropic (Messages usage)"
    CLAUDE_CODE = "claude_code", "Claude Code analytics"
    CURSOR = "cursor", "Cursor"
    COPILOT = "copilot", "GitHub Copilot"
    LITELLM = "litellm", "LiteLLM proxy"
    OTLP = "otlp", "OpenTelemetry (Claude Code and CLIs like it)"
    FILE = "file", "File import"
    DEMO = "demo", "Demo (generated data)"


class ReportPath(models.TextChoices):
    """Which Anthropic usage report a connection reads (ingest.providers.anthropic)."""

    ANALYTICS = "analytics", "Usage and Cost Analytics API"
    LEGACY = "legacy", "Legacy Messages usage report"


class Connection(models.Model):
    """An organisation's admin API at one provider, pulled on a schedule."""

    name = models.SlugField(max_length=80, unique=True)
    provider = models.CharField(max_length=20, choices=Provider.choices)
    base_url = models.CharField(max_length=300)
    # Where the provider's API names the organisation in the request (a GitHub enterprise or
    # organization, a ChatGPT workspace): which one this connection reads. Empty for others.
    tenant = models.CharField(
        max_length=200,
        blank=True,
        help_text="The provider-side organisation this key reads, for providers whose API "
        "names it in the request (see the README's provider table); empty for the others.",
    )
    encrypted_api_key = models.TextField(blank=True, editable=False)
    enabled = models.BooleanField(default=True)
    pull_every_minutes = models.PositiveIntegerField(default=60)
    source = models.OneToOneField(Source, on_delete=models.PROTECT, related_name="connection")
    # Days up to and including this one were pulled completely at least once.
    pulled_through = models.DateField(null=True, blank=True)
    last_pull_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Anthropic only: the report the last pull read, and when that was found out (a pull
    # that found the analytics endpoint missing tries it again a day later).
    report_path = models.CharField(
        max_length=10, choices=ReportPath.choices, blank=True, editable=False
    )
    report_path_decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    # OpenTelemetry receivers only (ingest.services.receiver): the SHA-256 of the bearer
    # token exporters send, the last request received, the earliest day a request changed
    # since the last fold into facts, and when a fold was queued (one at a time).
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    last_received_at = models.DateTimeField(null=True, blank=True, editable=False)
    fold_from = models.DateField(null=True, blank=True, editable=False)
    fold_queued_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def api_key(self) -> str:
        return credentials.decrypt(self.encrypted_api_key)

    @api_key.setter
    def api_key(self, value: str) -> None:
        self.encrypted_api_key = credentials.encrypt(value)


class IngestRun(models.Model):
    """One pull of one connection: its window, progress and outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Succeeded, some rows rejected"
        HELD = "held", "Succeeded, deletions held for review"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped: another pull held the lock"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=20, default="schedule")
    file_name = models.CharField(max_length=255, blank=True, help_text="The imported file.")
    window_start = models.DateField()
    window_end = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    pages = models.PositiveIntegerField(default=0)
    rows = models.BigIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    accounts = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(
        default=0,
        help_text="Stored facts this pull did not see, held rather than deleted until a manager "
        "confirms or a later pull misses them too.",
    )
    error = models.TextField(blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["connection", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.connection} {self.window_start}..{self.window_end} {self.status}"

    @property
    def duration(self) -> dt.timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None


class HeldFact(models.Model):
    """A stored fact that a held pull did not see (ingest.services.deletions). By id, with no
    reference: pruning deletes facts in bulk, past any cascade."""

    run = models.ForeignKey(IngestRun, on_delete=models.CASCADE, related_name="held_facts")
    fact_id = models.BigIntegerField()
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "fact_id"], name="held_fact_once_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: fact {self.fact_id} of {self.day}"


class UploadChunk(models.Model):
    """A piece of a usage file uploaded in the admin, kept in the database until the worker
    has imported it: the web and worker processes may share no disk."""

    run = models.ForeignKey(IngestRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()  # 0.. in the file's order
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="upload_chunk_once_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.run_id} #{self.number}"


class RejectedRow(models.Model):
    """A row (or a whole page) that could not be read, quarantined for review."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="rejected")
    run = models.ForeignKey(
        IngestRun, null=True, on_delete=models.SET_NULL, related_name="rejected_rows"
    )
    location = models.CharField(max_length=200, help_text="Where it was: page, row or line.")
    reason = models.TextField()
    raw = models.TextField(help_text="The row as received.")
    # Seeing the same bad row again (a re-pull, a re-imported file) records nothing new.
    fingerprint = models.CharField(max_length=64, editable=False)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_seen"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "fingerprint"], name="rejected_row_once_per_connection"
            )
        ]

    def __str__(self) -> str:
        return f"{self.connection}: {self.location}"


class SetAside(models.Model):
    """Usage a pull read but did not count, because another source reports the same usage
    for that person and day and its figures stand (ingest.overlap). Kept, with the reason;
    a later pull of the same days replaces it, or counts it if the other source no longer
    reports that person and day."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="set_aside")
    run = models.ForeignKey(IngestRun, null=True, on_delete=models.SET_NULL, related_name="+")
    day = models.DateField()
    account = models.CharField(max_length=255, help_text="The provider's id of the account.")
    email = models.EmailField(max_length=254, blank=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model = models.CharField(max_length=200)
    input = models.BigIntegerField(default=0)
    cache_read = models.BigIntegerField(default=0)
    cache_write = models.BigIntegerField(default=0)
    output = models.BigIntegerField(default=0)
    requests = models.BigIntegerField(default=0)
    standing = models.ForeignKey(
        Source,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The source whose figures count for this person and day instead.",
    )
    reason = models.TextField()
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-day", "account", "model"]
        verbose_name = "set-aside usage"
        verbose_name_plural = "set-aside usage"
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "day", "account", "model"], name="set_aside_natural_key"
            ),
            models.CheckConstraint(
                condition=models.Q(input__gte=0)
                & models.Q(cache_read__gte=0)
                & models.Q(cache_write__gte=0)
                & models.Q(output__gte=0)
                & models.Q(requests__gte=0),
                name="set_aside_counts_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.email or self.account} {self.model}"

    @property
    def total_tokens(self) -> int:
        return self.input + self.cache_read + self.cache_write + self.output


class ReceivedPoint(models.Model):
    """A usage data point an OpenTelemetry exporter sent (ingest.providers.otlp), kept so that
    facts can be folded from them again and a re-sent point changes nothing.

    A delta point is kept by (series, start, time): sent again, it is the same row. A
    cumulative point is the total since its start: per series, start and UTC day the latest
    is kept (slot 0), so a day's usage is that day's last total less the day before's; a
    counter reset is a new start time, hence a new row."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="points")
    series = models.CharField(max_length=64)
    start_ns = models.BigIntegerField()
    day = models.DateField()
    slot = models.BigIntegerField(help_text="time_ns for a delta point, 0 for a cumulative one.")
    time_ns = models.BigIntegerField()
    metric = models.CharField(max_length=100)
    cumulative = models.BooleanField()
    kind = models.CharField(max_length=20)
    email = models.EmailField(max_length=254, blank=True)
    account = models.CharField(max_length=200, blank=True)
    model = models.CharField(max_length=200)
    value = models.DecimalField(max_digits=32, decimal_places=9)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "series", "start_ns", "day", "slot"],
                name="received_point_once",
            ),
            models.CheckConstraint(
                condition=models.Q(value__gte=0), name="received_point_non_negative"
            ),
        ]
        indexes = [models.Index(fields=["connection", "day"])]

    def __str__(self) -> str:
        return f"{self.connection_id} {self.metric} {self.kind} {self.day}"
