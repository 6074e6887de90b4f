"""A badge judged over a period is awarded when the period's data has settled: its end plus
the ingest look-back days (settings.INGEST_LOOKBACK_DAYS), the days each pull reads again.
Until then its holder sees progress on their own page, not an award."""

from __future__ import annotations

import datetime as dt

import pytest

from badges import services
from badges.models import Award, Progress
from tests.factories import AccountFactory, BadgeFactory, UsageFactFactory
from tests.helpers import elements


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


DEC1 = dt.date(2026, 12, 1)


@pytest.fixture
def december(employee, settings):
    """A monthly badge the employee reaches bronze of on December 1 and gold of on the 2nd."""
    settings.INGEST_LOOKBACK_DAYS = 3
    account = AccountFactory(person=employee)
    UsageFactFactory(account=account, day=DEC1, input=1000, output=100)
    badge = BadgeFactory(
        name="December Doer",
        slug="december-doer",
        period="month",
        params={"metric": "total_tokens"},
        tiers={"bronze": 1000, "gold": 2000},
    )
    return badge, account


def test_a_december_badge_is_not_granted_on_december_1(december, employee) -> None:
    badge, _ = december

    services.evaluate_badge(badge=badge, now=at(DEC1))

    assert not Award.objects.filter(badge=badge).exists()
    (progress,) = Progress.objects.filter(badge=badge)
    assert (progress.person, progress.tier) == (employee, "bronze")
    assert progress.settles_on == dt.date(2027, 1, 4)  # Dec 31 + 3 look-back days, then a day


def test_progress_follows_the_highest_tier_and_the_award_waits_for_the_look_back(
    december, employee
) -> None:
    badge, account = december
    services.evaluate_badge(badge=badge, now=at(DEC1))
    UsageFactFactory(account=account, day=dt.date(2026, 12, 2), input=1000, output=100)

    services.evaluate_badge(badge=badge, now=at(dt.date(2026, 12, 2)))
    assert list(Progress.objects.values_list("tier", flat=True)) == ["gold"]
    services.evaluate_badge(badge=badge, now=at(dt.date(2027, 1, 3)))  # still in the look-back
    assert not Award.objects.filter(badge=badge).exists()

    services.evaluate_badge(badge=badge, now=at(dt.date(2027, 1, 4)))

    (award,) = Award.objects.filter(badge=badge)
    assert (award.person, award.tier, [t for t, _ in award.tier_history]) == (
        employee,
        "gold",
        ["bronze", "gold"],
    )
    assert not Progress.objects.exists()
    assert not Award.objects.filter(badge=badge, quiet=True).exists()  # its holder is told


def test_a_longer_look_back_waits_longer(december, settings) -> None:
    badge, _ = december
    settings.INGEST_LOOKBACK_DAYS = 7

    services.evaluate_badge(badge=badge, now=at(dt.date(2027, 1, 7)))
    assert not Award.objects.filter(badge=badge).exists()
    services.evaluate_badge(badge=badge, now=at(dt.date(2027, 1, 8)))
    assert Award.objects.filter(badge=badge).exists()


def test_an_all_time_badge_is_an_ongoing_award_granted_at_once(employee) -> None:
    UsageFactFactory(account=AccountFactory(person=employee), day=DEC1, input=1000)
    badge = BadgeFactory(period="all_time", params={"metric": "total_tokens"}, tiers={"gold": 1})

    services.evaluate_badge(badge=badge, now=at(DEC1))

    assert Award.objects.filter(badge=badge, person=employee).exists()


def test_the_owner_sees_progress_on_their_page_and_others_do_not(
    december, employee, employee_client, rival, client
) -> None:
    badge, _ = december
    services.evaluate_badge(badge=badge, now=at(DEC1))

    page = employee_client.get(f"/people/{employee.public_id}/").content.decode()
    (item,) = elements(page, "li", data_progress="december-doer")
    assert item.attrs["data-tier"] == "bronze"
    assert "Bronze so far" in item.text and "4 January 2027" in item.text

    rival.user = employee.user.__class__.objects.create_user(username="bob")
    rival.save()
    client.force_login(rival.user)
    other = client.get(f"/people/{employee.public_id}/").content.decode()
    assert not elements(other, "li", data_progress=None)
    assert "December Doer" not in other


def test_managers_read_progress_in_the_admin_and_cannot_edit_it(december, admin_client) -> None:
    badge, _ = december
    services.evaluate_badge(badge=badge, now=at(DEC1))

    page = admin_client.get("/admin/badges/progress/").content.decode()

    assert "December Doer" in page and "Jan. 4, 2027" in page
    progress = Progress.objects.get()
    assert admin_client.get(f"/admin/badges/progress/{progress.pk}/change/").status_code == 200
    assert admin_client.post(f"/admin/badges/progress/{progress.pk}/delete/").status_code == 403
