"""Boards, their archive and status history, the site-wide switch, and the audit trail."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from .people import Team, User
from .usage import Source


class Board(models.Model):
    """A leaderboard: who is ranked, by what, over which period; managers control its status."""

    class Lens(models.TextChoices):
        SCORE = "score", "Score"
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
        "default lens", max_length=30, choices=Lens.choices, default=Lens.SCORE
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
    top_only = models.BooleanField(
        "top and neighbourhood only",
        default=True,
        help_text="Show the top places and each reader's own neighbourhood, never the tail: "
        "past the top, others appear with a percentile band instead of a rank.",
    )
    top_n = models.PositiveSmallIntegerField(
        "top places",
        default=10,
        help_text="How many places a top-only board shows to everyone (ties at the last "
        "place included; at most 50).",
    )
    neighbours = models.PositiveSmallIntegerField(
        default=2,
        help_text="Places above and below the reader shown on a top-only board when the "
        "reader is past the top.",
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
        # Separate from seeing the boards, which every signed-in employee may (issue 20 §4).
        permissions = [
            ("export_data", "Can have usage and awards exported for them"),
            # Checked only where settings.COST_VISIBLE_TO_ALL is off (domain.cost_access).
            ("view_cost", "Can see cost (USD) on pages, charts and exports"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="retired") | Q(retired_at__isnull=False),
                name="board_retired_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="paused") | Q(paused_at__isnull=False),
                name="board_paused_has_date",
            ),
            # The top is one page: a top-only board never paginates.
            models.CheckConstraint(
                condition=Q(top_n__gte=1, top_n__lte=50), name="board_top_n_one_page"
            ),
            models.CheckConstraint(condition=Q(neighbours__lte=10), name="board_neighbours_few"),
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


class PageView(models.Model):
    """Who looked at which board, person or team page, or made which export, and when
    (issue 20's leak resistance). Written with one INSERT per view; pruned after
    VIEW_LOG_DAYS by a beat task; managers read it in the admin."""

    class Kind(models.TextChoices):
        BOARD = "board", "Board"
        PERSON = "person", "Person page"
        TEAM = "team", "Team page"
        EXPORT = "export", "Export"
        AGENTS = "agents", "Agents board"
        AGENT = "agent", "Agent page"

    at = models.DateTimeField(db_index=True)
    viewer = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty: an export made for no named viewer, or a deleted user.",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    target = models.CharField(
        max_length=200, help_text="The board's slug, person's or team's id, or the command."
    )
    query = models.CharField(max_length=300, blank=True, help_text="Filters or arguments.")

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.target}"
