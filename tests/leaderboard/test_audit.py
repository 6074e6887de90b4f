"""The audit trail: board status, badges, connections, privacy and managers, with who and when."""

from __future__ import annotations

import pytest

from leaderboard.models import AuditEvent
from tests.factories import BadgeFactory, UserFactory


@pytest.fixture
def manager_client(client, db):
    """Signed in as a superuser named manager, not the manager persona: making a manager is
    itself audited, and these tests read the whole trail."""
    manager = UserFactory(username="manager", is_staff=True, is_superuser=True)
    client.force_login(manager)
    client.manager = manager
    return client


def trail() -> list[tuple[str, str, str]]:
    return [
        (e.action, e.target, e.actor.username if e.actor else "")
        for e in AuditEvent.objects.order_by("at", "pk")
    ]


def test_board_status_changes_are_in_the_trail(manager_client, volume) -> None:
    manager_client.post(
        "/admin/leaderboard/board/", {"action": "pause", "_selected_action": [volume.pk]}
    )

    assert trail() == [("board paused", "Token volume", "manager")]


def test_badge_edits_and_retirement_are_in_the_trail(manager_client) -> None:
    badge = BadgeFactory(name="Night Owl")
    manager_client.post(
        "/admin/badges/badge/", {"action": "retire", "_selected_action": [badge.pk]}
    )

    assert trail() == [("badge retired", "Night Owl", "manager")]


def test_connection_changes_are_in_the_trail_without_the_key(
    manager_client, openai_connection
) -> None:
    manager_client.post(
        f"/admin/ingest/connection/{openai_connection.pk}/change/",
        {
            "name": "openai-main",
            "provider": "openai",
            "base_url": openai_connection.base_url,
            "enabled": "on",
            "pull_every_minutes": "60",
            "new_api_key": "sk-admin-new-secret",
        },
    )

    events = AuditEvent.objects.filter(target="openai-main").order_by("at", "pk")
    assert [e.action for e in events] == ["connection created", "connection changed"]
    assert events.last().details["key replaced"] is True
    assert "sk-admin-new-secret" not in str(list(AuditEvent.objects.values()))


def test_managers_read_the_trail_in_the_admin_and_cannot_edit_it(manager_client, volume) -> None:
    from leaderboard.services import boards

    boards.pause_board(board=volume, by=manager_client.manager)
    event = AuditEvent.objects.get()

    assert "board paused" in manager_client.get("/admin/leaderboard/auditevent/").content.decode()
    assert (
        manager_client.post(
            f"/admin/leaderboard/auditevent/{event.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )


def test_badge_edits_in_the_admin_are_in_the_trail(manager_client) -> None:
    badge = BadgeFactory(name="Night Owl")
    form = {
        "name": "Night Owl",
        "slug": badge.slug,
        "icon": "O",
        "group": "Habits",
        "title": "",
        "description": "Late usage.",
        "kind": "threshold",
        "params": '{"metric": "output"}',
        "tiers": '{"gold": 10}',
        "period": "month",
        "policy": "permanent",
        "enabled": "on",
    }

    manager_client.post(f"/admin/badges/badge/{badge.pk}/change/", form)

    assert trail() == [("badge changed", "Night Owl", "manager")]
    assert "params" in AuditEvent.objects.get().details["fields"]


def user_form(user, **changes) -> dict:
    """The user admin's change form for user, as posted with changes."""
    return {
        "username": user.username,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": user.date_joined.date().isoformat(),
        "date_joined_1": user.date_joined.time().isoformat(timespec="seconds"),
        **changes,
    }


def test_managers_made_and_unmade_in_the_user_admin_are_in_the_trail(manager_client) -> None:
    from django.contrib.auth.models import Group

    from leaderboard.services.people import MANAGERS

    managers = Group.objects.get(name=MANAGERS)
    erin = UserFactory(username="erin", email="erin@example.com")
    url = f"/admin/leaderboard/user/{erin.pk}/change/"

    granted = manager_client.post(url, user_form(erin, groups=[managers.pk]))
    erin.refresh_from_db()
    staff_while_manager = erin.is_staff
    revoked = manager_client.post(url, user_form(erin, is_staff="on"))

    assert (granted.status_code, revoked.status_code) == (302, 302)
    assert staff_while_manager  # admin access comes with the group
    erin.refresh_from_db()
    assert (erin.is_staff, erin.groups.exists()) == (False, False)
    assert trail() == [
        ("manager granted", "erin", "manager"),
        ("manager revoked", "erin", "manager"),
    ]


def test_other_edits_in_the_user_admin_grant_or_revoke_nothing(manager_client) -> None:
    erin = UserFactory(username="erin", email="erin@example.com")

    manager_client.post(
        f"/admin/leaderboard/user/{erin.pk}/change/", user_form(erin, first_name="Erin")
    )

    erin.refresh_from_db()
    assert erin.first_name == "Erin"
    assert trail() == []
