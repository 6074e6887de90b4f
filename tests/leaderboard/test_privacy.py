"""How people appear: by name, under a pseudonym, or not at all, on every page that shows
people; no team aggregate for tiny teams; and the audit trail of those choices."""

from __future__ import annotations

import pytest

from leaderboard import boards
from leaderboard.models import AuditEvent, Person
from leaderboard.people import set_visibility
from tests.factories import PersonFactory

from .conftest import AUG


@pytest.fixture
def quiet(usage, platform, volume):
    """Quinn, who leads the board, chose a pseudonym."""
    quinn = PersonFactory(
        display_name="Quinn Secret",
        team=platform,
        pseudonym="Calm Otter 12",
        visibility="pseudonym",
    )
    usage(quinn, AUG, input=10**9)
    return quinn


@pytest.fixture
def viewer(client, alice, bob, usage):
    usage(alice, AUG, input=10)
    usage(bob, AUG, input=20)
    client.force_login(alice.user)
    return client


def test_a_pseudonym_replaces_name_and_team_on_boards(viewer, quiet) -> None:
    board = viewer.get("/boards/token-volume/").content.decode()
    index = viewer.get("/").content.decode()

    for page in (board, index):
        assert "Quinn Secret" not in page
        assert "Calm Otter 12" in page
    row = board.split("Calm Otter 12", 1)[1].split("</tr>", 1)[0]
    assert "Platform" not in row


def test_search_finds_the_pseudonym_not_the_real_name(viewer, quiet) -> None:
    assert "Calm Otter" not in viewer.get("/boards/token-volume/", {"q": "quinn"}).content.decode()
    assert "Calm Otter" in viewer.get("/boards/token-volume/", {"q": "otter"}).content.decode()


def test_the_person_page_of_a_pseudonym_shows_no_name_or_team(viewer, quiet) -> None:
    page = viewer.get(f"/people/{quiet.pk}/").content.decode()

    assert "Calm Otter 12" in page
    assert "Quinn Secret" not in page and "Platform</a>" not in page


def test_team_pages_and_archives_keep_the_pseudonym(viewer, quiet, volume) -> None:
    team = viewer.get(f"/teams/{quiet.team_id}/").content.decode()
    boards.retire_board(board=volume, view="archive", by=None)
    archive = viewer.get("/boards/token-volume/").content.decode()

    for page in (team, archive):
        assert "Calm Otter 12" in page and "Quinn Secret" not in page


def test_hidden_people_appear_nowhere_but_keep_their_own_page(client, viewer, quiet) -> None:
    set_visibility(person=quiet, visibility="hidden", by=None)

    board = viewer.get("/boards/token-volume/").content.decode()
    assert "Calm Otter" not in board and "Quinn" not in board
    assert "Calm Otter" not in viewer.get(f"/teams/{quiet.team_id}/").content.decode()
    assert viewer.get(f"/people/{quiet.pk}/").status_code == 404

    from leaderboard.people import ensure_user_for_person

    client.force_login(ensure_user_for_person(person=quiet))
    own = client.get(f"/people/{quiet.pk}/")
    assert own.status_code == 200 and "Quinn Secret" in own.content.decode()


def test_a_person_chooses_how_they_appear_and_it_is_audited(viewer, alice) -> None:
    page = viewer.get(f"/people/{alice.pk}/").content.decode()
    assert f"Under a pseudonym ({alice.pseudonym})" in page

    response = viewer.post(f"/people/{alice.pk}/privacy/", {"visibility": "pseudonym"}, follow=True)

    assert "You now appear on boards under a pseudonym." in response.content.decode()
    alice.refresh_from_db()
    assert alice.visibility == "pseudonym"
    event = AuditEvent.objects.get(action="privacy changed")
    assert (event.actor, event.target_id, event.details) == (
        alice.user,
        str(alice.pk),
        {"from": "name", "to": "pseudonym"},
    )


def test_nobody_chooses_for_someone_else(viewer, bob) -> None:
    assert viewer.post(f"/people/{bob.pk}/privacy/", {"visibility": "hidden"}).status_code == 403
    bob.refresh_from_db()
    assert bob.visibility == "name"


def test_pseudonyms_are_stable_and_differ_between_people(db) -> None:
    people = [PersonFactory() for _ in range(20)]

    again = [Person.objects.get(pk=p.pk).pseudonym for p in people]

    assert again == [p.pseudonym for p in people]
    assert len(set(again)) > 1


def test_tiny_teams_show_no_aggregate(viewer, alice, bob, settings) -> None:
    settings.TEAM_MIN_SIZE = 3
    page = viewer.get(f"/teams/{alice.team_id}/").content.decode()  # Alice and Bob only

    assert "Team totals and charts appear once a team has at least 3 people" in page
    assert "Team totals</h2>" not in page and "chart-team" not in page
    assert "Alice Nguyen" in page  # the members themselves are listed as on any board

    settings.TEAM_MIN_SIZE = 2
    assert "Team totals</h2>" in viewer.get(f"/teams/{alice.team_id}/").content.decode()


def test_managers_see_real_names_in_the_admin(client, quiet, db) -> None:
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    assert "Quinn Secret" in client.get("/admin/leaderboard/person/").content.decode()
