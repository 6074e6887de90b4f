"""The core domain: people and teams, provider accounts, daily usage facts and model prices."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import connection, models
from django.db.models import F, Q
from django.db.models.functions import Lower


class User(AbstractUser):
    """A login; linked to at most one Person."""


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


ADJECTIVES = [
    "Amber",
    "Brisk",
    "Calm",
    "Deft",
    "Eager",
    "Fleet",
    "Gentle",
    "Hardy",
    "Keen",
    "Lucid",
    "Merry",
    "Nimble",
    "Quiet",
    "Rapid",
    "Steady",
    "Vivid",
    "Witty",
    "Zesty",
]
ANIMALS = [
    "Badger",
    "Crane",
    "Dolphin",
    "Falcon",
    "Gecko",
    "Heron",
    "Ibis",
    "Lynx",
    "Marten",
    "Newt",
    "Otter",
    "Panda",
    "Quokka",
    "Raven",
    "Stoat",
    "Tapir",
    "Walrus",
    "Yak",
]


def new_pseudonym() -> str:
    """A pseudonym, fixed for life once given: "Quiet Otter 42"."""
    pick = secrets.SystemRandom()
    return f"{pick.choice(ADJECTIVES)} {pick.choice(ANIMALS)} {pick.randint(10, 99)}"


def new_public_id() -> str:
    """The id in a person's URLs: random, so that nobody can walk from one person to the
    next (or learn who exists) by counting."""
    return secrets.token_urlsafe(12)  # 16 URL-safe characters, 96 bits


def default_visibility() -> str:
    return settings.DEFAULT_VISIBILITY


class Person(models.Model):
    """An employee: the unit every board ranks."""

    class Visibility(models.TextChoices):
        NAME = "name", "By name"
        PSEUDONYM = "pseudonym", "Under a pseudonym"
        HIDDEN = "hidden", "Not at all"

    email = models.EmailField(max_length=254)
    display_name = models.CharField(max_length=200)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    visibility = models.CharField(
        max_length=20,
        choices=Visibility.choices,
        default=default_visibility,
        help_text="How the person appears on boards (their choice).",
    )
    pseudonym = models.CharField(max_length=60, default=new_pseudonym, editable=False)
    public_id = models.CharField(max_length=22, unique=True, default=new_public_id, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="person_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def shown_name(self, viewer: User | None = None) -> str:
        """The name others see: the pseudonym if the person chose one (they see their own)."""
        if self.visibility == self.Visibility.NAME or (viewer and viewer.pk == self.user_id):
            return self.display_name
        return self.pseudonym


class Source(models.Model):
    """Where usage comes from: one provider connection or one file-import source."""

    name = models.SlugField(max_length=80, unique=True)
    provider = models.CharField(max_length=40)
    counts_toward_totals = models.BooleanField(
        default=True,
        help_text="Off when this usage also appears in another source (it is still stored).",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Account(models.Model):
    """A provider identity (a user id, an API key, an agent, or unattributed traffic)."""

    class Kind(models.TextChoices):
        USER = "user", "User"
        API_KEY = "api_key", "API key"
        UNATTRIBUTED = "unattributed", "Unattributed"
        # A service account, a key acting as one, CI or other automation: never a person's.
        AGENT = "agent", "Agent"

    class MatchedBy(models.TextChoices):
        EMAIL = "email", "E-mail"
        MANAGER = "manager", "Manager"

    provider = models.CharField(max_length=40)
    external_id = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.USER)
    email = models.EmailField(max_length=254, blank=True)
    name = models.CharField(max_length=200, blank=True)
    # Who created or owns an agent (or a key acting as no one), as the provider says: kept
    # for the agents' own board, never used to credit that person.
    owner_email = models.EmailField(max_length=254, blank=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )
    matched_by = models.CharField(max_length=20, choices=MatchedBy.choices, blank=True)
    first_seen = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"], name="account_provider_external_id_unique"
            ),
            models.CheckConstraint(
                condition=~Q(kind="unattributed") | Q(person__isnull=True),
                name="account_unattributed_has_no_person",
            ),
            models.CheckConstraint(
                condition=~Q(kind="agent") | Q(person__isnull=True),
                name="account_agent_has_no_person",
            ),
        ]
        indexes = [models.Index(Lower("email"), name="account_email_ci")]

    def __str__(self) -> str:
        if self.kind == self.Kind.UNATTRIBUTED:
            return f"{self.provider}: unattributed"
        if self.kind == self.Kind.AGENT:
            return f"{self.provider}: agent {self.name or self.external_id}"
        return f"{self.provider}: {self.email or self.name or self.external_id}"


class UsageFact(models.Model):
    """Usage of one account on one model on one UTC day, as one source reported it."""

    # Every index costs ingest time, most of all one that each new day's facts enter all over
    # (by account) rather than at its end (by day). So the natural key leads with the account
    # and serves a person's usage too; (day, account) serves days, with or without a source.
    # On PostgreSQL the references are checked once per statement, not by a foreign key once
    # per row (migration 0014); SQLite keeps its foreign keys.
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="usage", db_index=False, db_constraint=False
    )
    day = models.DateField()
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="usage",
        db_index=False,
        db_constraint=False,
    )
    model = models.CharField(max_length=200)
    # Disjoint counts: total_tokens is their sum.
    input = models.BigIntegerField(default=0)
    cache_read = models.BigIntegerField(default=0)
    cache_write = models.BigIntegerField(default=0)
    output = models.BigIntegerField(default=0)
    requests = models.BigIntegerField(default=0)
    cost = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    cost_estimated = models.BooleanField(default=False)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "day", "source", "model"], name="usage_fact_natural_key"
            ),
            models.CheckConstraint(
                condition=Q(input__gte=0)
                & Q(cache_read__gte=0)
                & Q(cache_write__gte=0)
                & Q(output__gte=0)
                & Q(requests__gte=0),
                name="usage_fact_counts_non_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["day", "account"], name="usage_fact_day_account"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.account} {self.model}"

    @property
    def total_tokens(self) -> int:
        return self.input + self.cache_read + self.cache_write + self.output


class UsageMonth(models.Model):
    """Running totals of one account's usage from one source in one calendar month.

    Database triggers on usage facts keep them (PostgreSQL, migration 0010), whatever writes
    the facts, so rankings over whole months, quarters and all time read these instead of a
    year of facts. Sums are exact: each row is the GROUP BY of its facts.
    """

    account = models.ForeignKey(
        Account, on_delete=models.DO_NOTHING, db_constraint=False, related_name="months"
    )
    source = models.ForeignKey(
        Source, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    month = models.DateField()  # its first day
    input = models.BigIntegerField(default=0)
    cache_read = models.BigIntegerField(default=0)
    cache_write = models.BigIntegerField(default=0)
    output = models.BigIntegerField(default=0)
    requests = models.BigIntegerField(default=0)
    cost = models.DecimalField(max_digits=26, decimal_places=6, default=0)  # of priced facts
    priced = models.IntegerField(default=0)  # facts with a cost (none: the cost is unknown)
    estimated = models.IntegerField(default=0)  # facts whose cost is estimated
    facts = models.IntegerField(default=0)
    days = models.BigIntegerField(default=0)  # bit d-1 set: usage on day d of the month

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "source", "month"], name="usage_month_account_source_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.account_id}"


def total_tokens(prefix: str = "") -> models.Expression:
    """total_tokens in SQL, for facts reached through prefix (e.g. "accounts__usage__")."""
    return (
        F(f"{prefix}input")
        + F(f"{prefix}cache_read")
        + F(f"{prefix}cache_write")
        + F(f"{prefix}output")
    )


class ModelPrice(models.Model):
    """A model's list price per million tokens from a date on, used to estimate the cost a
    provider does not report. A price change is a new row from its date: facts before it
    keep the old price (leaderboard.pricing)."""

    model = models.CharField(
        max_length=200,
        help_text="Model name, or a prefix of dated snapshots (gpt-5 prices gpt-5-2025-08-07).",
    )
    effective_from = models.DateField(
        help_text="The first UTC day this price applies to; it applies until the model's next "
        "price. A change is a new row: the rates of a saved row are not edited."
    )
    input_per_million = models.DecimalField(max_digits=12, decimal_places=6)
    cached_input_per_million = models.DecimalField(
        "cache read per million", max_digits=12, decimal_places=6
    )
    cache_write_per_million = models.DecimalField(
        "cache write per million",
        max_digits=12,
        decimal_places=6,
        help_text="Writes of the default duration (Anthropic: 5 minutes; OpenAI: its shortest "
        "retention, the input rate on models that do not bill writes).",
    )
    cache_write_1h_per_million = models.DecimalField(
        "1-hour cache write per million",
        max_digits=12,
        decimal_places=6,
        null=True,
        blank=True,
        help_text="Empty: the model has no 1-hour writes (usage reporting some is not priced).",
    )
    output_per_million = models.DecimalField(max_digits=12, decimal_places=6)
    batch_multiplier = models.DecimalField(
        max_digits=6,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Of every rate, for batch usage (0.5: half price). Empty: not offered or not "
        "known, and batch usage is not priced.",
    )
    priority_multiplier = models.DecimalField(
        max_digits=6, decimal_places=4, null=True, blank=True, help_text="As batch, for priority."
    )
    flex_multiplier = models.DecimalField(
        max_digits=6, decimal_places=4, null=True, blank=True, help_text="As batch, for flex."
    )
    long_context_threshold = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="Prompts longer than this many tokens cost the long-context multipliers "
        "(the whole request). Empty: no long-context price.",
    )
    long_context_input_multiplier = models.DecimalField(
        max_digits=6,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Of the input, cache-read and cache-write rates.",
    )
    long_context_output_multiplier = models.DecimalField(
        max_digits=6, decimal_places=4, null=True, blank=True
    )
    regional_multiplier = models.DecimalField(
        max_digits=6,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Of every rate, when the provider reports regional inference (Anthropic: "
        "inference_geo us). Empty: no premium.",
    )
    source_url = models.URLField(max_length=500, blank=True, help_text="The page the rates are on.")
    source_date = models.DateField(null=True, blank=True, help_text="When the page was read.")
    confirmed = models.BooleanField(
        default=False,
        help_text="Every rate and multiplier was read on the provider's own page at source_url.",
    )
    note = models.TextField(blank=True, help_text="What is not confirmed, and why.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["model", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "effective_from"], name="model_price_model_effective_from"
            ),
            models.CheckConstraint(
                condition=(
                    Q(long_context_threshold__isnull=True)
                    & Q(long_context_input_multiplier__isnull=True)
                    & Q(long_context_output_multiplier__isnull=True)
                )
                | (
                    Q(long_context_threshold__gte=0)
                    & Q(long_context_input_multiplier__gt=0)
                    & Q(long_context_output_multiplier__gt=0)
                ),
                name="model_price_long_context_complete",
            ),
            models.CheckConstraint(
                condition=Q(input_per_million__gte=0)
                & Q(cached_input_per_million__gte=0)
                & Q(cache_write_per_million__gte=0)
                & Q(output_per_million__gte=0)
                & ~Q(cache_write_1h_per_million__lt=0)
                & (Q(batch_multiplier__isnull=True) | Q(batch_multiplier__gt=0))
                & (Q(priority_multiplier__isnull=True) | Q(priority_multiplier__gt=0))
                & (Q(flex_multiplier__isnull=True) | Q(flex_multiplier__gt=0))
                & (Q(regional_multiplier__isnull=True) | Q(regional_multiplier__gt=0)),
                name="model_price_rates_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model} from {self.effective_from}"


class Board(models.Model):
    """A leaderboard: who is ranked, by what, over which period; managers control its status."""

    class Lens(models.TextChoices):
        TOTAL_TOKENS = "total_tokens", "Total tokens"
        OUTPUT = "output", "Output tokens"
        COST = "cost", "Cost"
        CACHE_READ_SHARE = "cache_read_share", "Cache-read share"
        REQUESTS = "requests", "Requests"
        ACTIVE_DAYS = "active_days", "Active days"

    class Period(models.TextChoices):
        DAY = "day", "Day"
        WEEK = "week", "ISO week"
        MONTH = "month", "Month"
        QUARTER = "quarter", "Quarter"
        ALL_TIME = "all_time", "All time"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        RETIRED = "retired", "Retired"

    class RetiredView(models.TextChoices):
        ARCHIVE = "archive", "Show the final standings as an archive"
        HIDDEN = "hidden", "Hide the board entirely"

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    metric = models.CharField(
        "default lens", max_length=30, choices=Lens.choices, default=Lens.TOTAL_TOKENS
    )
    period = models.CharField(max_length=20, choices=Period.choices, default=Period.MONTH)
    teams = models.ManyToManyField(Team, blank=True, help_text="Empty: everyone.")
    sources = models.ManyToManyField(
        Source, blank=True, help_text="Empty: every source that counts toward totals."
    )
    min_activity = models.BigIntegerField(
        default=0, help_text="Total tokens a person needs in the period to appear."
    )
    ratio_min_volume = models.BigIntegerField(
        default=1_000_000,
        help_text="Input-side tokens needed to be ranked on the cache-read "
        "share lens, so that tiny usage cannot win.",
    )
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True, editable=False)
    retired_view = models.CharField(
        max_length=20, choices=RetiredView.choices, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="retired") | Q(retired_at__isnull=False),
                name="board_retired_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="paused") | Q(paused_at__isnull=False),
                name="board_paused_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BoardSnapshot(models.Model):
    """Standings frozen when a board was retired (its archive)."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="snapshots")
    taken_at = models.DateTimeField()
    lens = models.CharField(max_length=30, choices=Board.Lens.choices)
    period_label = models.CharField(max_length=100)
    rows = models.JSONField(help_text="[{rank, person_id, name, team, value}] in rank order")

    class Meta:
        ordering = ["-taken_at"]
        get_latest_by = "taken_at"

    def __str__(self) -> str:
        return f"{self.board} at {self.taken_at:%Y-%m-%d}"


class BoardStatusChange(models.Model):
    """Who changed a board's status, from what to what, and when."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Board.Status.choices)
    to_status = models.CharField(max_length=20, choices=Board.Status.choices)
    retired_view = models.CharField(max_length=20, choices=Board.RetiredView.choices, blank=True)
    changed_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return f"{self.board}: {self.from_status} → {self.to_status}"


class SiteSwitch(models.Model):
    """The one site-wide switch: boards shown, or every board hidden at once (data kept)."""

    boards_visible = models.BooleanField(default=True)
    # Bumped by database triggers whenever a board, its teams or sources, or a team or source
    # changes (migration 0012): pages cache the boards under it.
    boards_version = models.BigIntegerField(default=0, editable=False)
    changed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "site switch"
        verbose_name_plural = "site switch"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="site_switch_singleton")]

    def __str__(self) -> str:
        return "Boards visible" if self.boards_visible else "All boards hidden"


class AuditEvent(models.Model):
    """Who changed what, when: board status, badges, connections, privacy choices."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty: a command or the system.",
    )
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=60)
    target = models.CharField(max_length=200, help_text="What it was called then.")
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target}"


def version_number(model: type[models.Model]) -> int:
    """The number of a one-row version counter (id 1) that database triggers bump, read in
    plain SQL: pages read such counters on every request, and building the ORM query cost
    more than running it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT number FROM {model._meta.db_table} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else 0


def analyze(model: type[models.Model]) -> None:
    """Refresh the planner's statistics of a model's table after a large write: autovacuum
    may be off or late, and until then new rows look absent to the planner (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {model._meta.db_table}")


class UsageVersion(models.Model):
    """A counter that database triggers bump whenever usage, accounts, people, teams or
    sources change (migration 0009): rankings computed at an older number are stale."""

    number = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"usage version {self.number}"


class RankedScope(models.Model):
    """One scope's ranking (see standings.Scope), computed once at a usage version and read
    a page or a person at a time until the version moves on."""

    key = models.CharField(max_length=64)
    version = models.BigIntegerField()
    size = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="ranked_scope_key_version")
        ]

    def __str__(self) -> str:
        return f"{self.key[:12]} at version {self.version}"


class Place(models.Model):
    """A person's place in a ranked scope, with what the board shows of them."""

    # No index of its own: both unique indexes below lead with the scope. (One on the scope
    # alone misled the planner: a scope ranked since the last ANALYZE looks nearly empty, so
    # "my place" filtered the whole scope through it rather than seek (scope, person).)
    scope = models.ForeignKey(
        RankedScope, on_delete=models.CASCADE, related_name="places", db_index=False
    )
    position = models.PositiveIntegerField()  # 1.. in display order (rank, name, id)
    rank = models.PositiveIntegerField()  # ties share a rank
    person_id = models.BigIntegerField()
    public_id = models.CharField(max_length=22, db_default="")  # the person's, for links
    name = models.CharField(max_length=200)
    team_id = models.BigIntegerField(null=True)
    team = models.CharField(max_length=120, blank=True)
    user_id = models.BigIntegerField(null=True)
    value = models.DecimalField(max_digits=40, decimal_places=12, null=True)
    total_tokens = models.DecimalField(max_digits=30, decimal_places=0)
    cost = models.DecimalField(max_digits=24, decimal_places=6, null=True)
    cost_estimated = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "position"], name="place_scope_position"),
            models.UniqueConstraint(fields=["scope", "person_id"], name="place_scope_person"),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.name}"


class PendingTask(models.Model):
    """A follow-up task that could not be queued (the broker was down when its work was
    committed): `leaderboard.flush_outbox` queues it again once the broker answers."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
