"""Managers pause, resume, retire and un-retire boards in the admin; every change is audited."""

from __future__ import annotations

import pytest

from leaderboard.models import Board, BoardSnapshot, BoardStatusChange, SiteSwitch
from tests.helpers import AUG, elements


@pytest.fixture
def admin_client(client, manager):
    client.force_login(manager)
    return client


def act(client, action: str, *boards: Board, **extra: str):
    return client.post(
        "/admin/leaderboard/board/",
        {"action": action, "_selected_action": [b.pk for b in boards], **extra},
        follow=True,
    )


def audit(board: Board) -> list[tuple[str, str, str, str]]:
    return [
        (c.from_status, c.to_status, c.retired_view, c.changed_by.username)
        for c in BoardStatusChange.objects.filter(board=board).order_by("changed_at", "pk")
    ]


def test_board_list_shows_status_and_toggles_pause_in_place(admin_client, volume) -> None:
    listing = admin_client.get("/admin/leaderboard/board/").content.decode()
    assert 'name="form-0-status"' in listing
    boards = list(Board.objects.order_by("position", "name"))
    form = {"form-TOTAL_FORMS": len(boards), "form-INITIAL_FORMS": len(boards), "_save": "Save"}
    for i, board in enumerate(boards):
        form |= {
            f"form-{i}-id": board.pk,
            f"form-{i}-position": board.position,
            f"form-{i}-status": "paused" if board == volume else board.status,
        }

    admin_client.post("/admin/leaderboard/board/", form)

    volume.refresh_from_db()
    assert volume.status == "paused" and volume.paused_at is not None
    assert audit(volume) == [("active", "paused", "", "manager")]


def test_pause_and_resume_actions_are_audited(admin_client, volume) -> None:
    act(admin_client, "pause", volume)
    page = act(admin_client, "resume", volume).content.decode()

    volume.refresh_from_db()
    assert volume.status == "active" and volume.paused_at is None
    assert "Token volume: now Active." in page
    assert audit(volume) == [
        ("active", "paused", "", "manager"),
        ("paused", "active", "", "manager"),
    ]


def test_retire_asks_archive_or_hide_then_freezes_the_standings(admin_client, volume, usage, alice):
    usage(alice, AUG, input=1234)

    question = act(admin_client, "retire", volume).content.decode()
    assert "Show the final standings as an archive" in question
    volume.refresh_from_db()
    assert volume.status == "active"  # nothing happens before the answer

    act(admin_client, "retire", volume, confirm="Retire", retired_view="hidden")

    volume.refresh_from_db()
    assert (volume.status, volume.retired_view) == ("retired", "hidden")
    snapshot = BoardSnapshot.objects.get(board=volume)
    assert snapshot.rows == [
        {
            "rank": 1,
            "person_id": alice.pk,
            "name": "Alice Nguyen",
            "team": "Platform",
            "value": "1234",
        }
    ]
    assert audit(volume) == [("active", "retired", "hidden", "manager")]


def test_unretire_brings_a_board_back_and_pausing_a_retired_board_is_refused(admin_client, volume):
    act(admin_client, "retire", volume, confirm="Retire", retired_view="archive")

    refused = act(admin_client, "pause", volume).content.decode()
    act(admin_client, "unretire", volume)

    assert "only an active board pauses" in refused
    volume.refresh_from_db()
    assert (volume.status, volume.retired_at) == ("active", None)
    assert audit(volume) == [
        ("active", "retired", "archive", "manager"),
        ("retired", "active", "", "manager"),
    ]


def test_site_switch_is_one_checkbox_recording_who_flipped_it(admin_client, seeded_boards) -> None:
    admin_client.post("/admin/leaderboard/siteswitch/1/change/", {})  # unchecked: hide all

    switch = SiteSwitch.objects.get()
    assert switch.boards_visible is False
    assert switch.changed_by.username == "manager"
    assert Board.objects.count() == 4  # nothing deleted


def test_a_new_board_is_top_only_and_a_manager_can_show_everyone(admin_client, volume) -> None:
    added = admin_client.get("/admin/leaderboard/board/add/").content.decode()
    (box,) = elements(added, "input", name="top_only")
    assert "checked" in box.attrs

    form = {
        "name": volume.name,
        "slug": volume.slug,
        "metric": volume.metric,
        "period": volume.period,
        "min_activity": 0,
        "ratio_min_volume": volume.ratio_min_volume,
        "top_only": "on",
        "top_n": 5,
        "neighbours": 1,
        "position": volume.position,
        "status_changes-TOTAL_FORMS": 0,
        "status_changes-INITIAL_FORMS": 0,
    }
    admin_client.post(f"/admin/leaderboard/board/{volume.pk}/change/", form)
    volume.refresh_from_db()
    assert (volume.top_only, volume.top_n, volume.neighbours) == (True, 5, 1)

    del form["top_only"]  # unchecked: everyone shown again
    admin_client.post(f"/admin/leaderboard/board/{volume.pk}/change/", form)
    volume.refresh_from_db()
    assert not volume.top_only
