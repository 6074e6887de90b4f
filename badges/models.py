"""Badge definitions (data, edited in the admin), the awards the engine grants, and titles."""

from __future__ import annotations

import datetime as dt

from django.db import models

from leaderboard.db.counters import version_number
from leaderboard.models import Person

TIERS = ["bronze", "silver", "gold", "platinum", "emerald"]
ALL_TIME = (dt.date(1, 1, 1), dt.date(9999, 12, 31))  # the period of all-time awards


class Badge(models.Model):
    class Kind(models.TextChoices):
        THRESHOLD = "threshold", "Threshold: a total reaches a value"
        RATIO = "ratio", "Ratio: above or below a bound, with a minimum volume"
        RANK = "rank", "Rank: top N of a closed week or month"
        STREAK = "streak", "Streak: consecutive active days"
        BREADTH = "breadth", "Breadth: distinct models or sources"
        FIRST = "first", "First: the first usage ever"

    class Period(models.TextChoices):
        DAY = "day", "Day"
        WEEK = "week", "ISO week"
        MONTH = "month", "Calendar month"
        ROLLING_30 = "rolling_30", "Rolling 30 days"
        ROLLING_90 = "rolling_90", "Rolling 90 days"
        ALL_TIME = "all_time", "All time"

    class Policy(models.TextChoices):
        PERMANENT = "permanent", "Permanent: once earned, kept"
        LIVE = "live", "Live: revoked when the condition stops holding"
        HOLDER = "holder", "Holder: only the latest period's holder keeps it"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField()
    icon = models.CharField(max_length=16, help_text="An emoji or a short symbol.")
    group = models.CharField(max_length=60, help_text="Where it is shown: Volume, Efficiency, …")
    title = models.CharField(
        max_length=60, blank=True, help_text="A title holders may display, e.g. Cache Wizard."
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    params = models.JSONField(
        default=dict, blank=True, help_text="Rule parameters for the kind (see the README)."
    )
    tiers = models.JSONField(
        help_text='Tier thresholds, e.g. {"bronze": 1000000, "gold": '
        "1000000000}; kinds without a threshold use one tier."
    )
    period = models.CharField(max_length=20, choices=Period.choices)
    policy = models.CharField(max_length=20, choices=Policy.choices, default=Policy.PERMANENT)
    enabled = models.BooleanField(default=False)
    retired = models.BooleanField(
        default=False, help_text="No longer earnable; existing awards stay visible as retired."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["group", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def periodic(self) -> bool:
        """Whether awards are per calendar period (rather than one ongoing award)."""
        return self.period in PERIODIC


PERIODIC = frozenset({Badge.Period.DAY, Badge.Period.WEEK, Badge.Period.MONTH})


class Award(models.Model):
    """A person earned a badge for a period (all time, for a badge without periods): one
    award, at the highest tier reached, with when each tier was; revoked awards stay as
    history."""

    # Indexed as the first column of the unique key and of the indexes below, and, on
    # PostgreSQL, checked once per statement rather than by foreign keys (migration 0006).
    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="awards",
        db_index=False,
        db_constraint=False,
    )
    badge = models.ForeignKey(
        Badge, on_delete=models.CASCADE, related_name="awards", db_index=False, db_constraint=False
    )
    tier = models.CharField(
        max_length=20, choices=[(t, t.title()) for t in TIERS], help_text="The highest reached."
    )
    # {tier: when it was reached (ISO 8601)}, for each tier reached, the award's own included
    tiers_reached = models.JSONField(default=dict)
    period_start = models.DateField()
    period_end = models.DateField()
    granted_at = models.DateTimeField(help_text="When it was first granted, at any tier.")
    evidence = models.JSONField(default=dict)
    # Granted for a period that ended more than two days earlier: no "new badge" notice.
    quiet = models.BooleanField(default=False)
    # When its holder was first shown the "new badge" notice.
    noticed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "badge", "period_start", "period_end"],
                name="award_once_per_person_badge_period",
            ),
            models.CheckConstraint(condition=models.Q(tier__in=TIERS), name="award_tier_is_known"),
        ]
        indexes = [
            models.Index(fields=["badge", "period_start"]),
            models.Index(fields=["person", "-granted_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.badge} ({self.tier}, {self.period_label})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def tier_history(self) -> list[tuple[str, str]]:
        """(tier, when reached) for each tier reached, lowest first."""
        return [(t, self.tiers_reached[t]) for t in TIERS if t in self.tiers_reached]

    @property
    def period_label(self) -> str:
        if (self.period_start, self.period_end) == ALL_TIME:
            return "all time"
        if self.period_start == self.period_end:
            return self.period_start.isoformat()
        return f"{self.period_start.isoformat()}..{self.period_end.isoformat()}"


class Progress(models.Model):
    """The tier a person has reached so far in a period whose data has not settled yet (its
    end plus the ingest look-back days): shown to them on their page, not an award. The
    engine replaces these rows as it judges, and grants the award once the period settles."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="badge_progress")
    badge = models.ForeignKey(Badge, on_delete=models.CASCADE, related_name="progress")
    tier = models.CharField(max_length=20, choices=[(t, t.title()) for t in TIERS])
    period_start = models.DateField()
    period_end = models.DateField()
    settles_on = models.DateField(help_text="The first day the period's data is settled.")
    evidence = models.JSONField(default=dict)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["period_start", "badge"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "badge", "period_start", "period_end"],
                name="progress_once_per_person_badge_period",
            ),
            models.CheckConstraint(
                condition=models.Q(tier__in=TIERS), name="progress_tier_is_known"
            ),
        ]
        indexes = [models.Index(fields=["badge", "period_start"])]

    def __str__(self) -> str:
        return f"{self.person} — {self.badge} ({self.tier} so far, {self.period_start})"

    @property
    def period_label(self) -> str:
        return f"{self.period_start.isoformat()}..{self.period_end.isoformat()}"


class DisplayedTitle(models.Model):
    """The title a person chose to display (from a badge they hold)."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="title_choice")
    # None: the person chose to display no title.
    badge = models.ForeignKey(
        Badge, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    chosen_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.person}: {self.badge.title if self.badge else 'no title'}"


class BadgeVersion(models.Model):
    """A counter that database triggers bump whenever badges, awards or chosen titles change
    (migration 0004): a standings page rendered at an older number shows stale badges."""

    number = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"badge version {self.number}"


def current_version() -> int:
    return version_number(BadgeVersion)
