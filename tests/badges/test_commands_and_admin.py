from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
import time_machine
from django.core.management import call_command

from badges.models import Award, Badge
from tests.factories import BadgeFactory, PersonFactory
from tests.helpers import BADGES_NOW as NOW

D = dt.date


def run(*args: str) -> str:
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def no_catalogue(db) -> None:
    Badge.objects.all().delete()


def test_award_badges_dry_run_changes_nothing_and_says_what_it_would(usage, people, no_catalogue):
    usage(people[0], D(2026, 8, 1), input=5000)
    BadgeFactory()

    out = run("award_badges", "--full", "--dry-run")

    assert (
        "Badges over all history: 1 awards would be granted, 0 revoked, 0 restored, "
        "0 moved to another tier." in out
    )
    assert not Award.objects.exists()
    assert "1 awards were granted" in run("award_badges", "--full")
    assert "0 awards were granted" in run("award_badges")


def test_export_awards_lists_active_awards(usage, people, no_catalogue) -> None:
    usage(people[0], D(2026, 8, 1), input=5000)
    usage(people[1], D(2026, 8, 1), input=5000)
    badge = BadgeFactory(slug="volume")
    run("award_badges", "--full")
    Award.objects.filter(person=people[1]).update(revoked_at=NOW)

    rows = list(csv.DictReader(io.StringIO(run("export_awards"))))
    assert [
        (r["email"], r["badge"], r["tier"], r["period_start"], r["period_end"]) for r in rows
    ] == [(people[0].email, "volume", "gold", "0001-01-01", "9999-12-31")]
    # one award per period, at the highest tier, with when each tier was reached
    assert rows[0]["tiers_reached"] == f"bronze@{NOW.isoformat()} gold@{NOW.isoformat()}"
    assert json.loads(run("export_awards", "--format", "json"))[0]["badge"] == badge.slug


def test_export_awards_writes_an_imported_formula_e_mail_as_text(usage, no_catalogue) -> None:
    evil = '=HYPERLINK("http://evil.example","x")&"@example.com"'
    usage(PersonFactory(email=evil), D(2026, 8, 1), input=5000)
    BadgeFactory(slug="volume")
    run("award_badges", "--full")

    rows = list(csv.DictReader(io.StringIO(run("export_awards"))))

    assert rows and {r["email"] for r in rows} == {"'" + evil}


def test_admin_refuses_an_invalid_definition_with_the_reason(manager_client) -> None:
    response = manager_client.post(
        "/admin/badges/badge/add/",
        {
            "name": "Bad",
            "slug": "bad",
            "icon": "x",
            "group": "g",
            "description": "d",
            "kind": "rank",
            "params": '{"metric": "output"}',
            "tiers": '{"gold": 1}',
            "period": "all_time",
            "policy": "permanent",
        },
    )

    assert response.status_code == 200
    assert "A rank badge is judged over: month, week." in response.content.decode()
    assert not Badge.objects.filter(slug="bad").exists()


def test_admin_previews_a_badge_before_it_is_enabled(manager_client, usage, people) -> None:
    usage(people[0], D(2026, 8, 1), input=5000)
    badge = BadgeFactory(enabled=False)

    page = manager_client.get(f"/admin/badges/badge/{badge.pk}/change/").content.decode()

    assert "1 people (bronze: 1, gold: 1); for example Ada" in page
    assert not Award.objects.exists()


def test_usage_recorded_queues_an_evaluation_of_the_changed_days(
    usage, people, monkeypatch, django_capture_on_commit_callbacks
):
    from badges import tasks
    from leaderboard.domain.records import UsageRecord
    from leaderboard.services.usage import record_usage

    queued = []
    monkeypatch.setattr(tasks.evaluate_changed, "delay", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        record_usage(
            source=usage.source,
            records=[
                UsageRecord(day=D(2026, 8, 3), account="u1", model="m", input=1),
                UsageRecord(day=D(2026, 8, 5), account="u1", model="m", input=1),
            ],
        )

    assert queued == [("2026-08-03", "2026-08-05")]
