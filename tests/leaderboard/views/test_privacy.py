"""How people appear: by name, under a pseudonym, or not at all, on every page that shows
people; no team aggregate for tiny teams; and the audit trail of those choices."""

from __future__ import annotations

import json
import re

import pytest

from leaderboard.models import AuditEvent, Person, Source
from leaderboard.services import boards
from leaderboard.services.people import set_visibility
from tests.factories import PersonFactory
from tests.leaderboard.conftest import AUG


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
    page = viewer.get(f"/people/{quiet.public_id}/").content.decode()

    assert "Calm Otter 12" in page
    assert "Quinn Secret" not in page and "Platform</a>" not in page


def test_a_pseudonym_shows_no_team_on_team_pages_team_filters_or_team_boards(
    viewer, quiet, volume, platform
) -> None:
    everyone = viewer.get("/boards/token-volume/").content.decode()
    team_page = viewer.get(f"/teams/{platform.pk}/").content.decode()
    by_name = viewer.get("/boards/token-volume/", {"team": "Platform"}).content.decode()
    by_pk = viewer.get("/boards/token-volume/", {"team": platform.pk, "q": "otter"})
    volume.teams.set([platform])  # a board over the Platform team alone
    team_board = viewer.get("/boards/token-volume/").content.decode()
    index = viewer.get("/").content.decode()

    assert "Calm Otter 12" in everyone  # ranked among everyone, with no team
    for page in (team_page, by_name, by_pk.content.decode(), team_board):
        assert "Calm Otter" not in page and "Quinn Secret" not in page
    assert "Alice Nguyen" in team_page and "Alice Nguyen" in by_name and "Alice" in team_board
    assert "Calm Otter" not in index.split("Token volume", 1)[1].split("</article>", 1)[0]
    assert "1 member " not in team_page and "2 members" in team_page  # counted by name only


def test_archives_show_todays_choices_not_those_at_retirement(viewer, quiet, alice, bob, volume):
    set_visibility(person=quiet, visibility="name", by=None)
    boards.retire_board(board=volume, view="archive", by=None)  # Quinn 1st, Bob 2nd, Alice 3rd

    set_visibility(person=quiet, visibility="pseudonym", by=None)
    set_visibility(person=bob, visibility="hidden", by=None)
    archive = viewer.get("/boards/token-volume/").content.decode()

    assert "Quinn Secret" not in archive and "Bob Okafor" not in archive
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]*)</td><td>([^<]*)</td>', archive)
    assert rows == [("1", "Calm Otter 12", "—"), ("2", "Alice Nguyen", "Platform")]


def test_hidden_people_appear_nowhere_but_keep_their_own_page(client, viewer, quiet) -> None:
    set_visibility(person=quiet, visibility="hidden", by=None)

    board = viewer.get("/boards/token-volume/").content.decode()
    assert "Calm Otter" not in board and "Quinn" not in board
    assert "Calm Otter" not in viewer.get(f"/teams/{quiet.team_id}/").content.decode()
    assert viewer.get(f"/people/{quiet.public_id}/").status_code == 404

    from leaderboard.services.people import ensure_user_for_person

    client.force_login(ensure_user_for_person(person=quiet))
    own = client.get(f"/people/{quiet.public_id}/")
    assert own.status_code == 200 and "Quinn Secret" in own.content.decode()


def test_a_person_chooses_how_they_appear_and_it_is_audited(viewer, alice) -> None:
    page = viewer.get(f"/people/{alice.public_id}/").content.decode()
    assert f"Under a pseudonym ({alice.pseudonym})" in page

    response = viewer.post(
        f"/people/{alice.public_id}/privacy/", {"visibility": "pseudonym"}, follow=True
    )

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
    """Refused exactly as for an id nobody has: a 403 would confirm the person exists."""
    theirs = viewer.post(f"/people/{bob.public_id}/privacy/", {"visibility": "hidden"})
    nobody = viewer.post("/people/nobody-has-this/privacy/", {"visibility": "hidden"})

    assert theirs.status_code == nobody.status_code == 404
    assert theirs.content == nobody.content
    bob.refresh_from_db()
    assert bob.visibility == "name"


def test_hidden_and_missing_people_look_the_same_on_every_url_and_method(viewer, bob) -> None:
    set_visibility(person=bob, visibility="hidden", by=None)
    hidden, missing = f"/people/{bob.public_id}/", "/people/nobody-has-this/"

    for suffix, method, data in [
        ("", "get", {}),
        ("", "post", {}),
        ("?period=week", "get", {}),
        ("privacy/", "post", {"visibility": "name"}),
        ("privacy/", "get", {}),
        ("title/", "post", {"badge": ""}),
        ("title/", "get", {}),
    ]:
        one = getattr(viewer, method)(hidden + suffix, data)
        other = getattr(viewer, method)(missing + suffix, data)
        assert (one.status_code, one.content) == (other.status_code, other.content), suffix
        assert one.status_code in {404, 405}
    bob.refresh_from_db()
    assert bob.visibility == "hidden"


def test_person_urls_use_a_random_id_and_the_old_numbers_answer_404(viewer, alice, bob) -> None:
    board = viewer.get("/boards/token-volume/").content.decode()

    assert f'href="/people/{bob.public_id}/"' in board
    assert f'href="/people/{bob.pk}/"' not in board
    assert viewer.get(f"/people/{bob.public_id}/").status_code == 200
    assert viewer.get(f"/people/{bob.pk}/").status_code == 404
    ids = [PersonFactory().public_id for _ in range(50)] + [alice.public_id, bob.public_id]
    assert len(set(ids)) == len(ids) and all(len(i) >= 16 for i in ids)
    assert not any(i.isdigit() for i in ids)


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


def chart(page: str, name: str) -> dict[str, int]:
    """Tokens per day in a page's chart: every trace (source) of a day added up."""
    figure = json.loads(
        re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', page, re.S).group(
            1
        )
    )
    days: dict[str, int] = {}
    for trace in figure["data"]:
        for day, tokens in zip(trace["x"], trace["y"], strict=True):
            days[day] = days.get(day, 0) + tokens
    return days


def total_tokens(page: str) -> int:
    return int(re.search(r'<dt>Total tokens</dt><dd title="(\d+)"', page).group(1))


def test_a_team_page_less_its_members_pages_leaves_nothing_of_anyone_else(
    viewer, alice, bob, platform, usage, settings
) -> None:
    """The subtraction attack: the team's chart and totals, less those of each member the
    team page links to, would leave the others' exact daily usage. Team figures are over
    members shown by name only, so nothing is left."""
    settings.TEAM_MIN_SIZE = 2
    hank = PersonFactory(display_name="Hank Hidden", team=platform, visibility="hidden")
    quinn = PersonFactory(display_name="Quinn Secret", team=platform, visibility="pseudonym")
    other = Source.objects.create(name="other-source", provider="anthropic")
    for day in range(1, 21):
        on = AUG.replace(day=day)
        usage(alice, on, model="o3", input=1_000 * day)
        usage(bob, on, input=70 + day, source=other)
        usage(hank, on, input=5_000 + 37 * day)
        usage(quinn, on, output=900 + day)

    team = viewer.get(f"/teams/{platform.pk}/").content.decode()
    left, total_left = chart(team, "chart-team"), total_tokens(team)
    linked = set(re.findall(r'<a href="(/people/[\w-]+/)">', team))
    for path in linked:
        page = viewer.get(path).content.decode()
        for day, tokens in chart(page, "chart-tokens").items():
            left[day] -= tokens
        total_left -= total_tokens(page)

    assert linked == {f"/people/{alice.public_id}/", f"/people/{bob.public_id}/"}
    assert set(left.values()) == {0} and total_left == 0
    assert len(left) == 20  # every day with usage was tried
