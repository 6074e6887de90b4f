"""The view log (issue 20 §4): views of boards, people and teams pages and every export are
recorded (who, what, when), pruned after VIEW_LOG_DAYS, and readable (only) by managers."""

from __future__ import annotations

import datetime as dt
import io

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leaderboard.models import PageView
from leaderboard.tasks import prune_page_views


def logged() -> list[tuple[object, str, str]]:
    return [(v.viewer_id, v.kind, v.target) for v in PageView.objects.order_by("pk")]


def test_a_board_view_is_logged_with_one_insert_and_no_read(employee_client, employee, volume):
    employee_client.get("/boards/token-volume/")  # warm the caches

    with CaptureQueriesContext(connection) as queries:
        employee_client.get("/boards/token-volume/?lens=cost")

    assert logged()[-1] == (employee.user.pk, "board", "token-volume")
    assert PageView.objects.latest("pk").query == "lens=cost"
    touching_the_log = [q["sql"] for q in queries if "leaderboard_pageview" in q["sql"]]
    assert len(touching_the_log) == 1 and touching_the_log[0].startswith("INSERT INTO")


def test_person_and_team_page_views_are_logged(employee_client, employee, rival) -> None:
    employee_client.get(reverse("leaderboard:person", args=[rival.public_id]))
    employee_client.get(reverse("leaderboard:team", args=[rival.team_id]))

    assert logged() == [
        (employee.user.pk, "person", rival.public_id),
        (employee.user.pk, "team", str(rival.team_id)),
    ]


def test_a_page_that_is_not_found_is_not_logged(employee_client) -> None:
    assert employee_client.get("/boards/no-such-board/").status_code == 404
    assert logged() == []


def test_every_export_is_logged(manager) -> None:
    call_command("export_awards", "--viewer", manager.email, stdout=io.StringIO())
    call_command(
        "export_usage", "--start", "2026-08-01", "--end", "2026-08-31", stdout=io.StringIO()
    )

    assert logged() == [(manager.pk, "export", "export_awards"), (None, "export", "export_usage")]


def test_views_older_than_view_log_days_are_pruned(settings, employee) -> None:
    settings.VIEW_LOG_DAYS = 30
    now = timezone.now()
    old = PageView.objects.create(at=now - dt.timedelta(days=31), kind="board", target="old")
    kept = PageView.objects.create(at=now - dt.timedelta(days=29), kind="board", target="kept")

    assert prune_page_views() == 1
    assert list(PageView.objects.all()) == [kept]
    assert not PageView.objects.filter(pk=old.pk).exists()


def test_managers_read_the_log_in_the_admin_and_cannot_change_it(manager_client, employee) -> None:
    view = PageView.objects.create(
        at=timezone.now(), viewer=employee.user, kind="board", target="x"
    )

    assert manager_client.get(reverse("admin:leaderboard_pageview_changelist")).status_code == 200
    change = reverse("admin:leaderboard_pageview_change", args=[view.pk])
    assert manager_client.post(change, {"target": "y"}).status_code == 403
    view.refresh_from_db()
    assert view.target == "x"


def test_an_employee_cannot_read_the_log(employee_client) -> None:
    response = employee_client.get(reverse("admin:leaderboard_pageview_changelist"))

    assert response.status_code == 302  # to the admin sign-in
