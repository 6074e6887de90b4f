"""The default catalogue is calibrated (issue 20 §3): on the demo data (seed_demo, through
ingest) and on the scale data (seed_scale, small), no badge is held by more than half of the
people active in a period, and gold or better by at most 10%; /numbers/ shows that rarity."""

from __future__ import annotations

import datetime as dt
import io
from fractions import Fraction

import pytest
from django.core.management import call_command
from django.utils import timezone

from badges import selectors
from badges.models import TIERS, Award, Badge
from badges.rules.queries import facts
from badges.services import evaluate_all
from leaderboard.celery_app import app as celery_app

GOLD = set(TIERS[TIERS.index("gold") :])
RECENT = 30  # an all-time or rolling badge: against the people active in the last 30 days


def active(window: tuple[dt.date, dt.date]) -> set[int]:
    return set(facts(window).values_list("account__person", flat=True).distinct())


def shares(today: dt.date) -> dict[str, tuple[Fraction, Fraction]]:
    """Per enabled badge: the largest share of active people holding it in one period, and
    at gold or better."""
    found = {}
    for badge in Badge.objects.filter(enabled=True, retired=False):
        awards = Award.objects.filter(badge=badge, revoked_at__isnull=True)
        if badge.periodic:
            periods = set(awards.values_list("period_start", "period_end"))
        else:
            periods = {(today - dt.timedelta(days=RECENT - 1), today)}
        held, gold = Fraction(0), Fraction(0)
        for start, end in periods:
            people = active((start, end))
            if badge.periodic:
                awards_then = awards.filter(period_start=start, period_end=end)
            else:
                awards_then = awards
            tiers = {p: t for p, t in awards_then.values_list("person", "tier") if p in people}
            if people:
                held = max(held, Fraction(len(tiers), len(people)))
                gold = max(gold, Fraction(sum(t in GOLD for t in tiers.values()), len(people)))
        found[badge.slug] = (held, gold)
    return found


def assert_calibrated(catalogue) -> None:
    now = timezone.now()
    evaluate_all(now=now)
    found = shares(now.date())

    assert set(found) == set(catalogue) - {"first-steps"}  # held by everyone: disabled
    assert Award.objects.exists()
    for slug, (held, gold) in found.items():
        assert held <= Fraction(1, 2), (slug, float(held))
        assert gold <= Fraction(1, 10), (slug, float(gold))
    # what /numbers/ shows agrees: each badge's latest period within the same bounds
    for entry in selectors.catalogue(today=now.date()):
        rarity = entry.rarity
        assert rarity.holders * 2 <= rarity.active, entry.badge.slug
        assert rarity.gold * 10 <= rarity.active, entry.badge.slug


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_catalogue_is_calibrated_on_the_demo_data(
    catalogue, gaming_rules, gaming_detection
) -> None:
    """As make run seeds it: the three demo sources pulled one after the other, each pull
    committed and its badge evaluation run before the next pull (Celery eager, no test
    transaction holding the on-commit work back), so badges are first judged on one source's
    data and must follow when the others arrive."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        call_command("seed_demo", stdout=io.StringIO())
    finally:
        celery_app.conf.task_always_eager = eager
    assert_calibrated(catalogue)
    # the badges that used to go to nearly everyone now go to some
    held = set(Award.objects.values_list("badge__slug", flat=True))
    assert {"token-volume", "steady-hand", "daily-driver", "model-connoisseur"} <= held


@pytest.mark.slow
def test_the_catalogue_is_calibrated_on_the_scale_data(catalogue) -> None:
    call_command("seed_scale", people=100, days=60, stdout=io.StringIO())
    assert_calibrated(catalogue)
    assert {"token-volume", "cache-wizard", "frugal-finisher"} <= set(
        Award.objects.values_list("badge__slug", flat=True)
    )
