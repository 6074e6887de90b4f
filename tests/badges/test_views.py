"""The owner's posts from their badges: the "new badge" notices seen (the title form is in
tests/leaderboard/views/test_title.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from badges.models import Award, current_version
from tests.factories import AwardFactory, BadgeFactory, UserFactory
from tests.helpers import HTMX, elements

SEEN_BEFORE = dt.datetime(2026, 8, 1, tzinfo=dt.UTC)


def seen_url(person) -> str:
    return reverse("badges:notices-seen", args=[person.public_id])


def test_opening_your_page_shows_new_badges_and_writes_nothing(employee_client, employee) -> None:
    AwardFactory(person=employee, badge=BadgeFactory(name="Trail Blazer"))

    with CaptureQueriesContext(connection) as queries:
        page = employee_client.get(f"/people/{employee.public_id}/").content.decode()

    notice = page.split('id="badge-notices"', 1)[1].split("</div>", 1)[0]
    assert "New badge:" in notice and "Trail Blazer" in notice
    assert f'hx-post="{seen_url(employee)}" hx-trigger="load"' in notice
    assert "<noscript><button" in notice  # without JavaScript, a Dismiss button posts it
    writes = [q["sql"] for q in queries if q["sql"].startswith(("UPDATE", "INSERT", "DELETE"))]
    assert not [sql for sql in writes if "badges_" in sql]
    assert Award.objects.get().noticed_at is None


def test_a_badge_won_over_several_periods_is_one_line_of_the_notice(
    employee_client, employee
) -> None:
    """The notice repeated a badge once per period it came for: now one line, with its best
    new tier and how many periods, while every award is still posted back as seen."""
    wizard = BadgeFactory(name="Cache Wizard", period="week")
    weeks = [dt.date(2026, 8, 3), dt.date(2026, 8, 10), dt.date(2026, 8, 17)]
    awards = [
        AwardFactory(
            person=employee,
            badge=wizard,
            tier=tier,
            period_start=monday,
            period_end=monday + dt.timedelta(days=6),
        )
        for monday, tier in zip(weeks, ["bronze", "gold", "silver"], strict=True)
    ]
    AwardFactory(person=employee, badge=BadgeFactory(name="Trail Blazer"))

    page = employee_client.get(f"/people/{employee.public_id}/").content.decode()

    notice = page.split('id="badge-notices"', 1)[1].split("</div>", 1)[0]
    lines = sorted(span.text for span in elements(notice, "span", data_notice=None))
    assert "New badges:" in notice
    assert [line.split(" ", 1)[1] for line in lines] == [  # after each badge's icon
        "Cache Wizard (Gold) ×3 periods",
        "Trail Blazer (Bronze)",
    ]
    for award in awards:
        assert f'name="award" value="{award.pk}"' in notice


def test_the_notice_posts_the_awards_it_showed_as_seen(employee_client, employee) -> None:
    shown, other = AwardFactory(person=employee), AwardFactory(person=employee)
    version = current_version()

    response = employee_client.post(seen_url(employee), {"award": [shown.pk]}, **HTMX)

    assert response.status_code == 204  # htmx swaps nothing: the notice stays on that page
    shown.refresh_from_db(), other.refresh_from_db()
    assert shown.noticed_at is not None and other.noticed_at is None
    assert current_version() == version  # no cached row shows whether a notice was seen
    page = employee_client.get(f"/people/{employee.public_id}/").content.decode()
    assert f'name="award" value="{other.pk}"' in page
    assert f'name="award" value="{shown.pk}"' not in page


def test_without_javascript_dismiss_posts_and_returns_to_your_page(
    employee_client, employee
) -> None:
    award = AwardFactory(person=employee)

    response = employee_client.post(seen_url(employee), {"award": [award.pk]}, follow=True)

    assert response.redirect_chain == [(f"/people/{employee.public_id}/", 302)]
    assert "New badge" not in response.content.decode()


def test_a_notice_seen_again_keeps_when_it_was_first_seen(employee_client, employee) -> None:
    award = AwardFactory(person=employee, noticed_at=SEEN_BEFORE)

    employee_client.post(seen_url(employee), {"award": [award.pk]}, **HTMX)

    award.refresh_from_db()
    assert award.noticed_at == SEEN_BEFORE


def test_nobody_marks_someone_elses_notices_seen(employee_client, employee, bob) -> None:
    """Refused as for an id nobody has; and ids of others' awards sent with your own are
    left alone."""
    bobs = AwardFactory(person=bob)
    bob.user = UserFactory(username="bob")
    bob.save()

    others = employee_client.post(seen_url(bob), {"award": [bobs.pk]}, **HTMX)
    nobody = employee_client.post("/people/nobody-has-this/notices-seen/", {"award": [bobs.pk]})
    mine = employee_client.post(seen_url(employee), {"award": [bobs.pk]}, **HTMX)

    assert others.status_code == nobody.status_code == 404
    assert mine.status_code == 204
    bobs.refresh_from_db()
    assert bobs.noticed_at is None


@pytest.mark.parametrize("award", ["", "abc", "-1", "0", "1.5", "9" * 20, "9" * 5000, "١"])
def test_an_award_that_is_no_id_is_refused(employee_client, employee, award) -> None:
    response = employee_client.post(seen_url(employee), {"award": award}, **HTMX)

    assert response.status_code == 400


def test_notices_are_marked_seen_by_post_only_with_a_csrf_token(employee) -> None:
    award = AwardFactory(person=employee)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(employee.user)

    got = strict.get(seen_url(employee), {"award": award.pk})
    forged = strict.post(seen_url(employee), {"award": award.pk}, **HTMX)

    assert (got.status_code, forged.status_code) == (405, 403)
    award.refresh_from_db()
    assert award.noticed_at is None
