"""A team's page (leaderboard.web.views.people.team): its members ranked, and team figures
that give away nothing of anyone shown under a pseudonym, hidden, or on a tiny team."""

from __future__ import annotations

from leaderboard.services.people import set_ranking_exclusion
from tests.factories import PersonFactory, SourceFactory
from tests.helpers import AUG, data, elements, ranks, rows, script_json


def test_team_page_ranks_members(employee_client, seeded_boards, field, employee) -> None:
    page = employee_client.get(f"/teams/{employee.team_id}/").content.decode()

    assert ranks(page) == [("1", "Bob Okafor"), ("2", "Carol Diaz"), ("3", "Alice Nguyen")]
    assert 'data-chart="chart-team"' in page


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
    (volume_card,) = elements(index, "article", data_board="token-volume")
    assert "Calm Otter" not in volume_card.html
    assert "1 member " not in team_page and "2 members" in team_page  # counted by name only


def test_tiny_teams_show_no_aggregate(viewer, employee, rival, settings) -> None:
    settings.TEAM_MIN_SIZE = 3
    page = viewer.get(f"/teams/{employee.team_id}/").content.decode()  # Alice and Bob only

    assert "Team totals and charts appear once a team has at least 3 people" in page
    assert "Team totals</h2>" not in page and "chart-team" not in page
    assert "Alice Nguyen" in page  # the members themselves are listed as on any board

    settings.TEAM_MIN_SIZE = 2
    assert "Team totals</h2>" in viewer.get(f"/teams/{employee.team_id}/").content.decode()


def chart(page: str, name: str) -> dict[str, int]:
    """Tokens per day in a page's chart: every trace (source) of a day added up."""
    figure = script_json(page, name)
    days: dict[str, int] = {}
    for trace in figure["data"]:
        for day, tokens in zip(trace["x"], trace["y"], strict=True):
            days[day] = days.get(day, 0) + tokens
    return days


def total_tokens(page: str) -> int:
    (total,) = data(page, "total-tokens")
    return int(total)


def test_a_team_page_less_its_members_pages_leaves_nothing_of_anyone_else(
    viewer, employee, rival, platform, usage, settings
) -> None:
    """The subtraction attack: the team's chart and totals, less those of each member the
    team page links to, would leave the others' exact daily usage. Team figures are over
    members shown by name only, so nothing is left."""
    settings.TEAM_MIN_SIZE = 2
    hank = PersonFactory(display_name="Hank Hidden", team=platform, visibility="hidden")
    quinn = PersonFactory(display_name="Quinn Secret", team=platform, visibility="pseudonym")
    other = SourceFactory(name="other-source", provider="anthropic")
    for day in range(1, 21):
        on = AUG.replace(day=day)
        usage(employee, on, model="o3", input=1_000 * day)
        usage(rival, on, input=70 + day, source=other)
        usage(hank, on, input=5_000 + 37 * day)
        usage(quinn, on, output=900 + day)

    team = viewer.get(f"/teams/{platform.pk}/").content.decode()
    left, total_left = chart(team, "chart-team"), total_tokens(team)
    linked = {row.link for row in rows(team)}
    for path in linked:
        page = viewer.get(path).content.decode()
        for day, tokens in chart(page, "chart-tokens").items():
            left[day] -= tokens
        total_left -= total_tokens(page)

    assert linked == {f"/people/{employee.public_id}/", f"/people/{rival.public_id}/"}
    assert set(left.values()) == {0} and total_left == 0
    assert len(left) == 20  # every day with usage was tried


def test_a_member_excluded_from_ranking_is_in_no_team_row_or_figure(
    employee_client, seeded_boards, field, employee, rival, settings
) -> None:
    settings.TEAM_MIN_SIZE = 2
    path = f"/teams/{employee.team_id}/"
    assert total_tokens(employee_client.get(path).content.decode()) == 2_000_101 + 5_500 + 6_500

    set_ranking_exclusion(people=[rival], excluded=True, reason="an admin account", by=None)

    page = employee_client.get(path).content.decode()
    assert ranks(page) == [("1", "Carol Diaz"), ("2", "Alice Nguyen")]
    assert total_tokens(page) == 5_500 + 6_500
    assert sum(chart(page, "chart-team").values()) == 5_500 + 6_500


def test_the_period_applies_on_change_and_still_submits_without_javascript(
    employee_client, seeded_boards, field, employee
) -> None:
    url = f"/teams/{employee.team_id}/"
    page = employee_client.get(url).content.decode()
    (form,) = elements(page, "form", hx_target="#team-body")

    swap = employee_client.get(url, {"period": "all_time"}, headers={"HX-Request": "true"})

    assert 'hx-trigger="change, submit"' in form.html
    assert 'method="get"' in form.html and ">Show</button>" in form.html  # no-JS submit
    body = swap.content.decode()
    assert body.lstrip().startswith('<span id="team-period" hx-swap-oob="true">')
    assert 'id="team-body"' in body and "<form" not in body and "<html" not in body
    assert ranks(body) == [("1", "Bob Okafor"), ("2", "Carol Diaz"), ("3", "Alice Nguyen")]
    assert swap["Vary"].count("HX-Request") == 1
