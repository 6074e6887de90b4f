"""Where usage comes from and what it is: sources, provider accounts, daily usage facts,
their monthly totals and model prices."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from .people import Person, Team


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
    # An agent's owner as a manager chose it (services.accounts.set_agent, audited): a person
    # (before the provider's owner_email) or a team. Shown on the agents board, never credited.
    owner_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_agents"
    )
    owner_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="agents"
    )
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
            models.CheckConstraint(
                condition=Q(kind="agent") | Q(owner_person__isnull=True, owner_team__isnull=True),
                name="account_only_agents_have_owners",
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
    # Held for gaming review (leaderboard.services.review): counted nowhere, in the facts'
    # rankings (metrics.counted) nor in the usage months (their triggers skip held facts).
    # No writer of usage names it, so a re-pull's merge keeps it.
    held = models.BooleanField(default=False, db_default=False, editable=False)

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
