"""People and teams: the unit every board ranks, and their logins."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
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
    # Set by a manager through people.set_ranking_exclusion (audited): admins, test users.
    excluded_from_ranking = models.BooleanField(
        default=False,
        db_default=False,
        editable=False,
        help_text="Left out of every board, team figure and badge (a manager's choice).",
    )
    exclusion_reason = models.CharField(
        max_length=200, blank=True, default="", db_default="", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="person_email_ci_unique"),
            models.CheckConstraint(
                condition=Q(excluded_from_ranking=True) | Q(exclusion_reason=""),
                name="person_exclusion_reason_only_when_excluded",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def shown_name(self, viewer: User | None = None) -> str:
        """The name others see: the pseudonym if the person chose one (they see their own)."""
        if self.visibility == self.Visibility.NAME or (viewer and viewer.pk == self.user_id):
            return self.display_name
        return self.pseudonym
