"""Granting, revoking and restoring awards; titles; the preview; query counts."""

from __future__ import annotations

import datetime as dt
import gc

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from badges import rules, selectors, services
from badges.models import Award, DisplayedTitle
from badges.selectors import displayed_title, titles_held
from tests.factories import BadgeFactory, PersonFactory
from tests.helpers import BADGES_NOW as NOW

D = dt.date
LATER = NOW + dt.timedelta(days=40)


def awards(badge) -> set[tuple]:
    return {
        (a.person.display_name, a.tier, a.period_start, a.active)
        for a in Award.objects.filter(badge=badge).select_related("person")
    }


def test_running_twice_grants_nothing_more(usage, people) -> None:
    usage(people[0], D(2026, 8, 1), input=5000)
    badge = BadgeFactory()

    first = services.evaluate_badge(badge=badge, now=NOW)
    second = services.evaluate_badge(badge=badge, now=NOW)

    assert len(first.granted) == 1  # one award, at the highest tier reached
    assert (second.granted, second.revoked, second.restored, second.retiered) == ([], [], [], [])
    award = Award.objects.get()
    assert award.tier == "gold"
    assert award.tiers_reached == {"bronze": NOW.isoformat(), "gold": NOW.isoformat()}
    assert award.evidence == {"total_tokens": 5000}


def test_permanent_awards_stay_when_usage_is_revised_down(usage, people) -> None:
    usage(people[0], D(2026, 8, 1), input=5000)
    badge = BadgeFactory(policy="permanent")
    services.evaluate_badge(badge=badge, now=NOW)

    people[0].accounts.get().usage.update(input=1)
    services.evaluate_badge(badge=badge, now=NOW)

    assert all(active for *_, active in awards(badge))


def test_live_awards_are_revoked_and_restored_with_the_facts(usage, people) -> None:
    usage(people[0], D(2026, 8, 1), input=5000)
    badge = BadgeFactory(policy="live")
    services.evaluate_badge(badge=badge, now=NOW)
    facts = people[0].accounts.get().usage

    facts.update(input=500)
    outcome = services.evaluate_badge(badge=badge, now=NOW)

    assert [a.tier for a in outcome.retiered] == ["bronze"]  # a live award follows down
    assert (Award.objects.get().tier, Award.objects.get().active) == ("bronze", True)

    facts.update(input=50)
    outcome = services.evaluate_badge(badge=badge, now=NOW)
    assert [a.tier for a in outcome.revoked] == ["bronze"]
    award = Award.objects.get()
    assert (award.active, award.revoked_reason) == (False, services.NO_LONGER)

    facts.update(input=5000)
    services.evaluate_badge(badge=badge, now=NOW)
    award = Award.objects.get()  # restored, not granted twice
    assert (award.tier, award.active) == ("gold", True)


def test_holder_awards_move_to_the_latest_periods_holder(usage, people) -> None:
    ada, ben = people[:2]
    usage(ada, D(2026, 6, 5), output=100)
    usage(ben, D(2026, 6, 5), output=50)
    usage(ben, D(2026, 7, 5), output=100)
    badge = BadgeFactory(
        kind="rank",
        period="month",
        policy="holder",
        title="Legend",
        params={"metric": "output"},
        tiers={"gold": 1},
    )

    services.evaluate_badge(badge=badge, now=NOW)

    assert awards(badge) == {
        ("Ada", "gold", D(2026, 6, 1), False),  # history, passed on
        ("Ben", "gold", D(2026, 7, 1), True),
    }
    assert titles_held(ada) == []
    assert [t.badge for t in titles_held(ben)] == [badge]

    usage(ada, D(2026, 8, 5), output=100)  # August closes with Ada on top
    services.evaluate_badge(badge=badge, now=LATER)
    assert awards(badge) == {
        ("Ada", "gold", D(2026, 6, 1), False),
        ("Ben", "gold", D(2026, 7, 1), False),
        ("Ada", "gold", D(2026, 8, 1), True),
    }
    assert Award.objects.get(person=ben).revoked_reason == services.PASSED_ON


def test_retired_badges_grant_nothing_and_keep_their_awards(usage, people) -> None:
    usage(people[0], D(2026, 8, 1), input=5000)
    badge = BadgeFactory(policy="live")
    services.evaluate_badge(badge=badge, now=NOW)
    badge.retired = True
    badge.save()
    usage(people[1], D(2026, 8, 1), input=5000)
    people[0].accounts.get().usage.update(input=1)

    outcome = services.evaluate_badge(badge=badge, now=NOW)

    assert (outcome.granted, outcome.revoked) == ([], [])
    assert {name for name, *_ in awards(badge)} == {"Ada"}
    assert all(active for *_, active in awards(badge))


def test_disabled_badges_are_not_evaluated(usage, people) -> None:
    usage(people[0], D(2026, 8, 1), input=5000)

    assert services.evaluate_badge(badge=BadgeFactory(enabled=False), now=NOW).granted == []


def test_grants_for_periods_that_settled_two_days_ago_are_quiet(usage, people, settings) -> None:
    """A period is awarded when it settles (its end plus the look-back days): a grant is
    quiet when that was more than two days ago, not when its last usage was."""
    settings.INGEST_LOOKBACK_DAYS = 3
    ada, ben = people[:2]
    usage(ada, D(2026, 8, 12), input=5000)  # settled on Aug 16, three days before NOW
    usage(ben, D(2026, 8, 15), input=5000)  # settled today
    badge = BadgeFactory(period="day", tiers={"gold": 1000})

    services.evaluate_badge(badge=badge, now=NOW)

    assert Award.objects.get(person=ada).quiet
    assert not Award.objects.get(person=ben).quiet


def test_titles_default_to_the_newest_and_can_be_chosen_or_hidden(usage, people) -> None:
    ada = people[0]
    usage(ada, D(2026, 8, 1), input=5000)
    older = BadgeFactory(title="Old Hand")
    newer = BadgeFactory(title="Fresh Face", tiers={"gold": 10})
    plain = BadgeFactory(title="")
    services.evaluate_badge(badge=older, now=NOW)
    services.evaluate_badge(badge=newer, now=NOW + dt.timedelta(hours=1))
    services.evaluate_badge(badge=plain, now=NOW)

    assert [t.badge.title for t in titles_held(ada)] == ["Fresh Face", "Old Hand"]
    assert displayed_title(ada) == "Fresh Face"
    services.choose_title(person=ada, badge=older)
    assert displayed_title(ada) == "Old Hand"
    services.choose_title(person=ada, badge=None)
    assert displayed_title(ada) == ""
    with pytest.raises(services.TitleError, match="carries no title"):
        services.choose_title(person=ada, badge=plain)
    with pytest.raises(services.TitleError, match="does not hold"):
        services.choose_title(person=people[1], badge=older)


def test_revoking_a_badge_clears_the_title_that_came_from_it(usage, people) -> None:
    ada = people[0]
    usage(ada, D(2026, 8, 1), input=5000)
    live = BadgeFactory(title="Big Spender", policy="live", tiers={"gold": 1000})
    keeper = BadgeFactory(title="Old Hand", tiers={"gold": 10})
    services.evaluate_badge(badge=keeper, now=NOW)
    services.evaluate_badge(badge=live, now=NOW + dt.timedelta(hours=1))
    services.choose_title(person=ada, badge=live)

    ada.accounts.get().usage.update(input=10)
    services.evaluate_badge(badge=live, now=NOW + dt.timedelta(hours=2))

    assert not DisplayedTitle.objects.filter(person=ada).exists()
    assert displayed_title(ada) == "Old Hand"


def test_preview_counts_and_names_without_granting(usage, people) -> None:
    for person, tokens in zip(people, [5000, 500, 50, 5000], strict=True):
        usage(person, D(2026, 8, 1), input=tokens)
    badge = BadgeFactory(enabled=False)

    preview = selectors.badge_preview(badge=badge, now=NOW)

    assert (preview.people, preview.by_tier) == (3, {"bronze": 3, "gold": 2})
    assert preview.sample == ["Ada", "Ben", "Di"]
    assert not Award.objects.exists()


def test_one_full_evaluation_makes_the_same_queries_for_3_or_30_people(usage, catalogue) -> None:
    def evaluate_with(n: int) -> tuple[int, int]:
        """(queries other than inserts, inserts); awards are inserted in bulk batches, whose
        number follows the database's parameter limit, not the number of people."""
        Award.objects.all().delete()
        for i in range(n):
            person = PersonFactory()
            for day in range(1, 20):
                usage(
                    person,
                    D(2026, 7, day),
                    input=10_000 * (i + 1),
                    cache_read=20_000,
                    output=900 * (i + 1),
                    cost="0.01",
                    model=f"m{day % 6}",
                )
        with CaptureQueriesContext(connection) as queries:
            outcome = services.evaluate_all(now=NOW)
        inserts = [q for q in queries if q["sql"].startswith("INSERT")]
        assert len(inserts) <= max(1, len(outcome.granted) // 50) + len(catalogue)
        return len(queries) - len(inserts), len(outcome.granted)

    small, small_grants = evaluate_with(3)
    large, large_grants = evaluate_with(30)

    assert small == large
    assert large_grants > 5 * small_grants


def test_a_large_evaluation_tells_the_planner_how_many_awards_there_are(
    postgres, usage, people, monkeypatch
) -> None:
    """Autovacuum may be off or late: after a large write the awards are analyzed, or pages
    would look awards up for 50 people on the statistics of an empty table."""

    def planned() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'badges_award'")
            return cursor.fetchone()[0]

    for i, person in enumerate(people):
        usage(person, D(2026, 8, 1), input=5000 * (i + 1))
    BadgeFactory(slug="volume-a")
    monkeypatch.setattr(services, "ANALYZE_FROM", 10**6)
    services.evaluate_all(now=NOW)
    small = Award.objects.count()
    small_planned = planned()
    BadgeFactory(slug="volume-b")
    monkeypatch.setattr(services, "ANALYZE_FROM", 3)
    services.evaluate_all(now=NOW)

    assert small >= 3
    assert small_planned != small  # too few to analyze
    assert planned() == Award.objects.count() > small


def test_an_evaluation_pauses_the_garbage_collector_and_restores_it(
    usage, people, monkeypatch
) -> None:
    """A full pass builds millions of small objects: the cyclic collector is paused while
    rules run and awards are written, and left as it was found, even when a rule fails."""
    usage(people[0], D(2026, 8, 1), input=5000)
    badge = BadgeFactory()
    real = rules.qualifiers
    seen: list[bool] = []

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(rules, "qualifiers", spy)
    assert gc.isenabled()
    services.evaluate_all(now=NOW)
    assert seen and not any(seen) and gc.isenabled()
    assert len(Award.objects.filter(badge=badge)) == 1

    def broken(*args, **kwargs):
        raise RuntimeError("a rule failed")

    monkeypatch.setattr(rules, "qualifiers", broken)
    with pytest.raises(RuntimeError):
        services.evaluate_badge(badge=badge, now=NOW)
    assert gc.isenabled()

    gc.disable()  # someone else's pause is theirs to end
    try:
        monkeypatch.setattr(rules, "qualifiers", real)
        services.evaluate_badge(badge=badge, now=NOW)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_reaching_a_higher_tier_raises_the_one_award_and_tells_its_holder(usage, people) -> None:
    ada = people[0]
    usage(ada, D(2026, 8, 18), input=500)  # yesterday: a grant its holder is told of
    badge = BadgeFactory(name="Volume")
    services.evaluate_badge(badge=badge, now=NOW)
    award = Award.objects.get()
    services.mark_noticed(person=ada, award_ids=[award.pk])
    assert award.tier == "bronze" and not selectors.new_awards(ada)

    ada.accounts.get().usage.update(input=5000)
    later = NOW + dt.timedelta(hours=5)
    outcome = services.evaluate_badge(badge=badge, now=later)

    assert [a.tier for a in outcome.retiered] == ["gold"] and not outcome.granted
    award = Award.objects.get()
    assert (award.tier, award.granted_at) == ("gold", NOW)  # first granted at bronze
    assert award.tier_history == [("bronze", NOW.isoformat()), ("gold", later.isoformat())]
    assert award.evidence == {"total_tokens": 5000}
    assert list(selectors.new_awards(ada)) == [award]  # "new badge: Volume (Gold)"
    ledger = [(e.at, e.what) for e in selectors.award_ledger(ada)]
    assert ledger == [
        (later, "Awarded Volume (Gold) for all time"),
        (NOW, "Awarded Volume (Bronze) for all time"),
    ]


def test_a_permanent_award_keeps_its_highest_tier_when_usage_falls(usage, people) -> None:
    usage(people[0], D(2026, 8, 1), input=5000)
    badge = BadgeFactory()
    services.evaluate_badge(badge=badge, now=NOW)
    people[0].accounts.get().usage.update(input=500)

    outcome = services.evaluate_badge(badge=badge, now=NOW)

    assert (outcome.retiered, outcome.revoked) == ([], [])
    assert (Award.objects.get().tier, Award.objects.get().active) == ("gold", True)
