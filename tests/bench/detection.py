"""Gaming detection on the scale data (issue 20 §2): recall on the person-days seed_scale
plants (goal: all) and the share of the other person-days flagged (goal: under 1%)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from ingest.management.commands.seed_scale import planted_days, planted_people
from leaderboard.models import Flag, Person, UsageFact
from leaderboard.services import review
from tests.bench.common import timed


def detection_figures(*, people: int, today: dt.date | None = None) -> dict[str, float]:
    """Run every rule over all history, as the nightly pass does, and score the flags
    against what seed_scale planted (its last day is today)."""
    end = today or timezone.now().date()
    Flag.objects.filter(person__email__endswith="@scale.example.com").delete()
    seconds = timed(lambda: review.detect_all(today=end))
    # What each pull adds: the rules over its last three days (and their look back).
    pull_seconds = timed(lambda: review.detect(start=end - dt.timedelta(days=2), end=end))
    by_index = {
        int(email.removeprefix("person").split("@")[0]): pk
        for pk, email in Person.objects.filter(email__endswith="@scale.example.com").values_list(
            "pk", "email"
        )
    }
    planted = {
        (by_index[i], day)
        for i, shape in planted_people(people).items()
        for day in planted_days(shape, end)
    }
    flagged = set(
        Flag.objects.filter(person__email__endswith="@scale.example.com").values_list(
            "person_id", "day"
        )
    )
    person_days = set(
        UsageFact.objects.filter(
            Q(source__counts_toward_totals=True),
            account__person__email__endswith="@scale.example.com",
        )
        .values_list("account__person", "day")
        .distinct()
    )
    normal = person_days - planted
    return {
        "gaming_planted_days": len(planted),
        "gaming_recall": round(len(planted & flagged) / len(planted), 3) if planted else 0.0,
        "gaming_normal_flagged_share": round(len((flagged - planted) & normal) / len(normal), 5)
        if normal
        else 0.0,
        "gaming_normal_flagged_days": len((flagged - planted) & normal),
        "gaming_detect_seconds": round(seconds, 2),
        "gaming_pull_detect_seconds": round(pull_seconds, 2),
    }
