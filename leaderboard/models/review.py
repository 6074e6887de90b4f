"""Gaming review: the rules that flag person-days (data, edited in the admin) and the flags
they raise, which hold a person-day out of every ranking, badge and score until a manager
confirms or clears them."""

from __future__ import annotations

from django.db import models

from .people import Person, User


class GamingRule(models.Model):
    """One check of the daily usage; its thresholds are params (defaults per kind)."""

    class Kind(models.TextChoices):
        # the kinds of leaderboard.domain.gaming (models sit below domain: named again here)
        SPIKE = "spike", "Spike over the person's own baseline"
        LOW_OUTPUT = "low_output", "Output far below the input"
        LOOP = "loop", "Near-identical days repeated"
        COST_OUTLIER = "cost_outlier", "Cost per output far above the company's"

    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    params = models.JSONField(
        default=dict,
        blank=True,
        help_text="Thresholds for the kind; those left out take their defaults (the "
        "description below lists them).",
    )
    enabled = models.BooleanField(default=True)
    description = models.TextField(
        blank=True, help_text="Empty: the rule's own words, with its thresholds."
    )

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class Flag(models.Model):
    """A person-day a rule found; while held (or once confirmed) it counts nowhere."""

    class Status(models.TextChoices):
        HELD = "held", "Held for review"
        CONFIRMED = "confirmed", "Confirmed: kept out"
        CLEARED = "cleared", "Cleared: counts again"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="flags")
    day = models.DateField()
    rule = models.ForeignKey(GamingRule, on_delete=models.PROTECT, related_name="flags")
    reason = models.TextField()
    evidence = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.HELD, db_default=Status.HELD
    )
    person_note = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "person"]
        constraints = [
            models.UniqueConstraint(fields=["person", "day", "rule"], name="flag_person_day_rule")
        ]
        indexes = [models.Index(fields=["status", "day"], name="flag_status_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.person} ({self.rule})"
