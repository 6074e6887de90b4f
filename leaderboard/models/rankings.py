"""Stored rankings: the usage version they were computed at, each ranked scope and its places."""

from __future__ import annotations

from django.db import models


class UsageVersion(models.Model):
    """A counter that database triggers bump whenever usage, accounts, people, teams or
    sources change (migration 0009). On PostgreSQL `everything` is the number of the last
    change that was not about days (accounts, people, teams, sources): every scope's version
    is at least that (see `leaderboard.services.rankings`)."""

    number = models.BigIntegerField(default=0)
    # Nullable so that SQLite adds the column in place: rebuilding the table would break the
    # triggers that name it. SQLite leaves it null (one version for everything there).
    everything = models.BigIntegerField(null=True)

    def __str__(self) -> str:
        return f"usage version {self.number}"


class UsageDay(models.Model):
    """The usage version at which a day's facts last changed (PostgreSQL: the facts'
    triggers keep it, migration 0033)."""

    day = models.DateField(primary_key=True)
    number = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.day} at version {self.number}"


class RankedScope(models.Model):
    """One scope's ranking (see standings.Scope), computed once at the scope's usage version
    and read a page or a person at a time until that version moves on. first_day..last_day:
    the days the scope counts, whose changes move its version."""

    key = models.CharField(max_length=64)
    version = models.BigIntegerField()
    first_day = models.DateField()
    last_day = models.DateField()
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
