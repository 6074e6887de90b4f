"""A board's standings (leaderboard.web.views.boards.board), in full and as an htmx fragment:
lenses, periods, ties, search and team filters, the pinned row, the cache behind it, paused
and retired boards, and how people who chose a pseudonym appear."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from badges.models import Award
from leaderboard.models import Board, Team
from leaderboard.services import boards
from leaderboard.services.people import set_visibility
from tests.factories import PersonFactory, TeamFactory, UserFactory
from tests.helpers import (
    AUG,
    HTMX,
    data,
    elements,
    grant_first_badge,
    post_notices_seen,
    ranks,
    rows,
)


def test_standings_rank_by_the_default_lens_and_ties_share_a_rank(
    employee_client, volume, field
) -> None:
    response = employee_client.get("/boards/token-volume/")

    page = response.content.decode()
    assert ranks(page) == [
        ("1", "Bob Okafor"),
        ("2", "Carol Diaz"),
        ("2", "Dan Ito"),
        ("4", "Alice Nguyen"),
    ]
    assert "August 2026" in page
    assert [(r.rank, r.name) for r in rows(page) if r.mine and not r.pinned] == [
        ("4", "Alice Nguyen")
    ]
    assert "2.0M" in page  # Bob: 2,000,101 tokens, readable
    assert "<html" in page


def test_standings_answer_htmx_with_the_fragment_only(employee_client, volume, field) -> None:
    response = employee_client.get("/boards/token-volume/", {"lens": "output"}, **HTMX)

    page = response.content.decode()
    assert "<html" not in page
    assert page.lstrip().startswith(
        "<title>Token volume · Output tokens · August 2026 · Tokenboard"
    )
    assert '<section id="standings"' in page
    assert ranks(page)[0] == ("1", "Carol Diaz")
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    ("lens", "expected"),
    [
        ("total_tokens", ["Bob Okafor", "Carol Diaz", "Dan Ito", "Alice Nguyen"]),
        ("output", ["Carol Diaz", "Dan Ito", "Alice Nguyen", "Bob Okafor"]),
        ("cost", ["Bob Okafor", "Alice Nguyen", "Carol Diaz", "Dan Ito"]),
        ("cache_read_share", ["Bob Okafor"]),  # the only one past 1M input-side tokens
        ("requests", ["Alice Nguyen", "Bob Okafor", "Carol Diaz", "Dan Ito"]),
        ("active_days", ["Bob Okafor", "Alice Nguyen", "Carol Diaz", "Dan Ito"]),
    ],
)
def test_every_lens_ranks_by_its_own_metric(employee_client, volume, field, lens, expected) -> None:
    page = employee_client.get("/boards/token-volume/", {"lens": lens}).content.decode()

    assert [name for _, name in ranks(page)] == expected
    assert ("input-side tokens in the period are ranked" in page) == (lens == "cache_read_share")


def test_lens_values_are_shown_in_their_unit(employee_client, volume, field) -> None:
    share = employee_client.get("/boards/token-volume/", {"lens": "cache_read_share"})
    cost = employee_client.get("/boards/token-volume/", {"lens": "cost"})

    assert "90.0%" in share.content.decode()
    assert "$9.00" in cost.content.decode()


def test_stepping_back_shows_the_previous_period(employee_client, volume, field, employee, usage):
    usage(employee, dt.date(2026, 7, 30), input=10**12)

    page = employee_client.get("/boards/token-volume/", {"back": 1}).content.decode()

    assert "July 2026" in page
    assert ranks(page) == [("1", "Alice Nguyen")]
    assert 'rel="next"' in page


def submitted_by_the_controls(page: str) -> dict[str, str]:
    """What the board's controls form sends when a lens, team or search changes: its own
    fields and those outside it that name it (form="controls"), as a browser and htmx
    gather them."""
    (form,) = elements(page, "form", id="controls")
    sent: dict[str, str] = {}
    for control in elements(form.html, ("input", "select")) + elements(page, form="controls"):
        name = control.attrs.get("name")
        if not name:
            continue
        if control.tag == "select":
            chosen = elements(control.html, "option", selected=None)
            sent[name] = (chosen[0].attrs.get("value") or "") if chosen else ""
        else:
            sent[name] = control.attrs.get("value") or ""
    return sent


def swapped_in(page: str, fragment: str) -> str:
    """page with its standings replaced by an htmx answer, as hx-swap="outerHTML" does."""
    start = page.index('<section id="standings"')
    end = page.index("</section>", start) + len("</section>")
    return page[:start] + fragment + page[end:]


def test_the_period_survives_every_htmx_swap_of_the_standings(
    employee_client, volume, field, employee, usage
) -> None:
    usage(employee, dt.date(2026, 7, 30), input=10**12)
    page = employee_client.get("/boards/token-volume/").content.decode()
    assert submitted_by_the_controls(page)["back"] == "0"

    # "← Previous" swaps only the standings; the controls form stays on the page
    fragment = employee_client.get("/boards/token-volume/", {"back": 1}, **HTMX).content.decode()
    page = swapped_in(page, fragment)
    assert submitted_by_the_controls(page)["back"] == "1"

    # then changing the lens, the team or the search asks for the same period: July
    for change in ({"lens": "output"}, {"team": "Platform"}, {"q": "Alice"}):
        sent = {**submitted_by_the_controls(page), **change}
        fragment = employee_client.get("/boards/token-volume/", sent, **HTMX).content.decode()
        assert "July 2026" in fragment, change
        assert ranks(fragment) == [("1", "Alice Nguyen")], change
        page = swapped_in(page, fragment)
        assert submitted_by_the_controls(page)["back"] == "1"


def test_the_description_and_title_follow_the_lens_and_the_period(
    employee_client, field, seeded_boards
) -> None:
    own = employee_client.get("/boards/output/").content.decode()
    by_cost = employee_client.get("/boards/output/", {"lens": "cost"}).content.decode()
    swapped = employee_client.get("/boards/output/", {"lens": "cost"}, **HTMX).content.decode()
    last_week = employee_client.get("/boards/output/", {"back": 1}).content.decode()

    (lede,) = elements(own, data_lede=None)
    assert lede.text == "Output tokens this ISO week: what the models wrote for you."
    (title,) = elements(own, "title")
    assert title.text == "Output · Output tokens · Week 34, 2026 (17 Aug–23 Aug) · Tokenboard"
    for page in (by_cost, swapped):
        (lede,) = elements(page, data_lede=None)
        assert lede.text == "Ranked by cost in Week 34, 2026 (17 Aug–23 Aug)."
        (title,) = elements(page, "title")
        assert title.text == "Output · Cost · Week 34, 2026 (17 Aug–23 Aug) · Tokenboard"
    (lede,) = elements(last_week, data_lede=None)
    assert lede.text == "Ranked by output tokens in Week 33, 2026 (10 Aug–16 Aug)."
    assert "this ISO week" not in last_week
    assert "No usage was recorded in Week 33, 2026 (10 Aug–16 Aug)." in last_week
    assert "yet" not in elements(last_week, "p", **{"class": "empty"})[0].text


def test_rank_change_against_the_previous_period(
    employee_client, volume, field, employee, teammate, usage
) -> None:
    usage(employee, dt.date(2026, 7, 30), input=100)
    usage(teammate, dt.date(2026, 7, 30), input=1000)

    page = employee_client.get("/boards/token-volume/").content.decode()

    assert 'title="down from 2">▼ 2</span>' in page  # Alice: 2nd in July, 4th now
    assert 'title="not ranked in the previous period">new</span>' in page


def test_a_climb_in_spend_is_not_coloured_as_a_win(
    employee_client, volume, field, employee, teammate, usage
) -> None:
    """Ranked by cost, a climb means spending more: the Spend board showed it in green."""
    usage(employee, dt.date(2026, 7, 30), input=100)
    usage(teammate, dt.date(2026, 7, 30), input=1000)

    by_cost = employee_client.get("/boards/token-volume/", {"lens": "cost"}).content.decode()
    by_tokens = employee_client.get("/boards/token-volume/").content.decode()

    assert elements(by_cost, "td", **{"class": "wide change spend"})
    assert not elements(by_tokens, "td", **{"class": "wide change spend"})
    assert elements(by_tokens, "td", **{"class": "wide change"})


def test_search_keeps_everyones_rank(employee_client, volume, field) -> None:
    page = employee_client.get("/boards/token-volume/", {"q": "dan"}, **HTMX).content.decode()

    assert ranks(page) == [("2", "Dan Ito")]


def test_team_filter_ranks_within_the_team(employee_client, volume, field, platform) -> None:
    page = employee_client.get("/boards/token-volume/", {"team": platform.pk}).content.decode()

    assert ranks(page) == [("1", "Bob Okafor"), ("2", "Carol Diaz"), ("3", "Alice Nguyen")]


def test_a_team_is_chosen_by_name_in_any_case_and_an_unknown_name_says_so(
    employee_client, volume, field
) -> None:
    by_name = employee_client.get("/boards/token-volume/", {"team": "pLaTfOrM"})
    unknown = employee_client.get("/boards/token-volume/", {"team": "Nobody's team"})

    assert ranks(by_name.content.decode()) == [
        ("1", "Bob Okafor"),
        ("2", "Carol Diaz"),
        ("3", "Alice Nguyen"),
    ]
    unknown_page = unknown.content.decode()
    assert "No team is called “Nobody&#x27;s team”: showing everyone." in unknown_page
    assert [name for _, name in ranks(unknown_page)] == [
        "Bob Okafor",
        "Carol Diaz",
        "Dan Ito",
        "Alice Nguyen",
    ]


def test_thousands_of_teams_are_a_search_box_whose_names_load_on_demand(
    employee_client, volume, field
) -> None:
    """A board over every team in a large company: no page carries every team's name."""
    for n in range(40):
        TeamFactory(name=f"Squad {n:02d}")

    page = employee_client.get("/boards/token-volume/").content.decode()
    chosen = employee_client.get("/boards/token-volume/", {"team": "Payments"}).content.decode()
    TeamFactory(name="Zeta Squad")
    names = employee_client.get(reverse("leaderboard:team-names")).content.decode()

    assert '<select id="team"' not in page
    assert "Squad 07" not in page
    (search,) = elements(page, id="team")
    assert 'list="team-names"' in search.html
    assert f'hx-get="{reverse("leaderboard:team-names")}"' in search.html
    assert 'hx-trigger="focus once"' in search.html
    assert 'value="Payments"' in elements(chosen, id="team")[0].html
    assert ranks(chosen) == [("1", "Dan Ito")]
    offered = [option.attrs["value"] for option in elements(names, "option")]
    assert len(offered) == Team.objects.count() == 43
    assert offered[:2] == ["Payments", "Platform"]
    assert "Zeta Squad" in offered


def test_my_row_is_pinned_with_my_place_when_off_the_page(employee_client, volume, usage, employee):
    for n in range(59):
        usage(PersonFactory(display_name=f"P{n:02d}"), AUG, input=10_000 + n)
    usage(employee, AUG, input=1)

    page = employee_client.get("/boards/token-volume/").content.decode()

    (pinned,) = [row for row in rows(page) if row.pinned]
    assert (pinned.person, pinned.rank, pinned.mine) == (employee.public_id, "60", True)
    assert "you · 60th of 60" in pinned.html
    assert "Alice Nguyen" not in [row.name for row in rows(page) if not row.pinned]
    second = employee_client.get("/boards/token-volume/", {"page": 2}).content.decode()
    assert "<tfoot>" not in second  # on page 2 Alice's own row is in the table


def test_my_pinned_row_marks_an_estimated_cost(employee_client, volume, usage, employee) -> None:
    for n in range(59):
        usage(PersonFactory(display_name=f"P{n:02d}"), AUG, input=10_000 + n)
    usage(employee, AUG, input=1, cost=Decimal("0.50"), cost_estimated=True)

    page = employee_client.get("/boards/token-volume/").content.decode()

    (pinned,) = [row for row in rows(page) if row.pinned]
    assert '<abbr title="Estimated from list prices">≈</abbr> $0.50' in pinned.html


def test_standings_pages_make_the_same_queries_for_5_or_60_people(
    employee_client, volume, usage, django_assert_num_queries
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert employee_client.get("/boards/token-volume/").status_code == 200
        return len(captured)

    queries()  # the boards are read once, then cached until one changes
    for n in range(5):
        usage(PersonFactory(), AUG, input=1000 + n)
    few = queries()
    for n in range(55):
        usage(PersonFactory(), AUG, input=2000 + n)
    many = queries()

    assert few == many
    # A second view reads the stored rankings: fewer queries, none of them a ranking.
    with CaptureQueriesContext(connection) as again:
        employee_client.get("/boards/token-volume/")
    assert len(again) < many
    assert not [q for q in again if "usagefact" in q["sql"] and "RANK()" in q["sql"]]
    with django_assert_num_queries(len(again)):
        employee_client.get("/boards/token-volume/")


def test_a_cached_board_page_reads_its_counters_ranking_and_your_place_at_once(
    employee_client, volume, field
) -> None:
    """Every board page reads the site switch and the version counters (boards, usage,
    badges) in one query, and the stored ranking with your place in it in another: with
    the session, the user and the person, five reads in all, and the view log's one INSERT."""
    employee_client.get("/boards/token-volume/")

    with CaptureQueriesContext(connection) as cached:
        page = employee_client.get("/boards/token-volume/").content.decode()

    sql = [q["sql"] for q in cached]
    assert [row.name for row in rows(page) if row.mine] == ["Alice Nguyen"]  # your place was read
    assert [q for q in sql if "badges_badgeversion" in q] == [
        q for q in sql if "leaderboard_siteswitch" in q
    ]
    assert [q for q in sql if "leaderboard_place" in q] == [
        q for q in sql if "leaderboard_rankedscope" in q
    ]
    assert len(sql) == 6, sql
    assert sql[-1].startswith("INSERT INTO") and "leaderboard_pageview" in sql[-1]


def test_a_cached_board_page_in_the_requests_lens_reads_no_source_again(
    employee_client, volume, field
) -> None:
    """Which sources cannot report requests is read once per boards version, not per view."""
    employee_client.get("/boards/token-volume/?lens=requests")

    with CaptureQueriesContext(connection) as cached:
        page = employee_client.get("/boards/token-volume/?lens=requests").content.decode()

    assert [row.name for row in rows(page) if row.mine] == ["Alice Nguyen"]
    assert not [q for q in cached if "leaderboard_source" in q["sql"]]


def test_cached_rows_highlight_each_viewers_own_row(
    employee_client, client, volume, field, rival
) -> None:
    """The rendered rows are shared by everyone who opens the page; the highlight is not."""
    rival.user = UserFactory()
    rival.save()
    first = employee_client.get("/boards/token-volume/").content.decode()
    client.force_login(rival.user)

    with CaptureQueriesContext(connection) as cached:
        second = client.get("/boards/token-volume/").content.decode()
    assert not [q for q in cached if "badges_award" in q["sql"]]  # rows came from the cache

    def highlighted(page: str) -> list[str]:
        return [row.name for row in rows(page) if row.mine and not row.pinned]

    assert highlighted(first) == ["Alice Nguyen"]
    assert highlighted(second) == ["Bob Okafor"]
    assert ranks(first) == ranks(second)


def test_cached_boards_follow_changes_to_a_board_and_its_teams(
    employee_client, volume, field, outsider
) -> None:
    """Pages read the boards from the cache; database triggers move the boards version
    whatever writes the change (here without save() or signals)."""
    assert "<h1>Token volume</h1>" in employee_client.get("/boards/token-volume/").content.decode()

    Board.objects.filter(pk=volume.pk).update(name="Token river")
    assert "<h1>Token river</h1>" in employee_client.get("/boards/token-volume/").content.decode()

    volume.teams.add(outsider.team)
    page = employee_client.get("/boards/token-volume/").content.decode()
    assert ranks(page) == [("1", "Dan Ito")]

    Team.objects.filter(pk=outsider.team_id).update(name="Billing")
    page = employee_client.get("/boards/token-volume/").content.decode()
    (team_filter,) = elements(page, "select", id="team")
    assert [option.text for option in elements(team_filter.html, "option")] == [
        "Everyone",
        "Billing",
    ]


def test_cached_rows_show_a_badge_granted_after_they_were_rendered(
    employee_client, volume, field, teammate
) -> None:
    employee_client.get("/boards/token-volume/")

    with CaptureQueriesContext(connection) as cached:
        before = employee_client.get("/boards/token-volume/").content.decode()
    assert not [q for q in cached if "badges_award" in q["sql"]]  # rows came from the cache
    grant_first_badge(teammate, name="Late Bloomer", icon="🌸")

    after = employee_client.get("/boards/token-volume/").content.decode()

    assert "🌸" not in before
    (carol_row,) = [row for row in rows(after) if row.person == teammate.public_id]
    assert 'title="Late Bloomer (bronze)"' in carol_row.html


def test_seeing_your_new_badge_keeps_everyone_s_cached_rows(
    employee_client, volume, field, employee
) -> None:
    """Opening your own page marks your new badges seen (its notice posts that as it loads);
    no row shows that, so the rows everyone reads stay cached (a revocation, which rows do
    show, renders them again)."""
    badge = grant_first_badge(employee, name="Late Bloomer", icon="🌸")
    employee_client.get("/boards/token-volume/")

    own_page = employee_client.get(f"/people/{employee.public_id}/").content.decode()
    post_notices_seen(employee_client, own_page)
    with CaptureQueriesContext(connection) as after_seen:
        employee_client.get("/boards/token-volume/")
    Award.objects.filter(badge=badge).update(revoked_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC))
    with CaptureQueriesContext(connection) as after_revoked:
        standings = employee_client.get("/boards/token-volume/").content.decode()

    assert "Late Bloomer" in own_page
    assert Award.objects.get(badge=badge).noticed_at is not None
    assert not [q for q in after_seen if "badges_award" in q["sql"]]  # rows from the cache
    assert [q for q in after_revoked if "badges_award" in q["sql"]]
    assert "🌸" not in standings


def test_the_team_filter_offers_a_team_created_after_the_page_was_cached(
    employee_client, volume, field
) -> None:
    before = employee_client.get("/boards/token-volume/").content.decode()
    zeta = TeamFactory(name="Zeta Squad")
    after = employee_client.get("/boards/token-volume/").content.decode()
    chosen = employee_client.get("/boards/token-volume/", {"team": zeta.pk}).content.decode()

    assert "Zeta Squad" not in before
    assert f'<option value="{zeta.pk}">Zeta Squad</option>' in after
    assert f'<option value="{zeta.pk}" selected>Zeta Squad</option>' in chosen


def test_paused_board_shows_a_banner_and_freezes_standings(
    employee_client, volume, field, employee, usage
) -> None:
    boards.pause_board(board=volume, by=None)
    usage(employee, dt.date(2026, 8, 21), input=10**12)  # after the pause

    page = employee_client.get("/boards/token-volume/").content.decode()

    assert "Paused." in page and "frozen as of 20 Aug 2026" in page
    assert ranks(page)[0] == ("1", "Bob Okafor")


def test_retired_board_shows_its_archive(employee_client, volume, field, employee, usage) -> None:
    boards.retire_board(board=volume, view="archive", by=None)
    usage(employee, AUG + dt.timedelta(days=2), input=10**12)  # too late for the archive

    page = employee_client.get("/boards/token-volume/").content.decode()

    assert "Retired on 20 August 2026" in page
    assert [row.name for row in rows(page)][:1] == ["Bob Okafor"]
    assert "Token volume" in employee_client.get("/").content.decode().split("Archive", 1)[1]


def test_hidden_retired_board_is_not_found(employee_client, volume, field) -> None:
    boards.retire_board(board=volume, view="hidden", by=None)

    assert employee_client.get("/boards/token-volume/").status_code == 404
    assert "/boards/token-volume/" not in employee_client.get("/").content.decode()


def test_names_from_providers_are_escaped(employee_client, volume, usage) -> None:
    usage(PersonFactory(display_name="<script>alert(1)</script>"), AUG, input=10)

    page = employee_client.get("/boards/token-volume/").content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_rows_trend_is_the_last_31_days_up_to_today(
    employee_client, volume, usage, employee
) -> None:
    """A row's sparkline shows daily tokens over the last 31 days up to today: no flat tail
    of days still to come, and on a month's first days the month before gives it a trend."""
    today = timezone.now().date()  # 20 August
    usage(employee, today, input=3_000)
    usage(employee, dt.date(2026, 7, 25), input=1_500)  # before the month, within the 31 days
    usage(employee, dt.date(2026, 7, 20), input=9_000)  # 32 days ago: outside

    page = employee_client.get("/boards/token-volume/").content.decode()

    (row,) = [r for r in rows(page) if r.person == employee.public_id and not r.pinned]
    (trend,) = elements(row.html, "polyline")
    heights = [float(point.split(",")[1]) for point in trend.attrs["points"].split()]
    assert len(heights) == 31  # 23.0: none, 1.0: the most
    assert heights[-1] == 1.0  # today, the busiest day shown
    assert heights[4] == 12.0  # 25 July, half as much
    assert [i for i, h in enumerate(heights) if h != 23.0] == [4, 30]
    assert 'aria-label="Daily tokens, last 31 days"' in row.html


# --- the requests lens: sources that cannot count requests --------------------------------------


def test_the_requests_lens_leaves_out_sources_that_report_no_requests_with_a_note(
    employee_client, volume, mixed
):
    page = employee_client.get("/boards/token-volume/", {"lens": "requests"}).content.decode()

    assert ranks(page) == [("1", "Alice Nguyen")]  # Bob made no *known* requests: not "0"
    assert '<td class="num" title="7">7</td>' in page
    assert "claude-code cannot (n/a, not 0)" in page
    other_lens = employee_client.get("/boards/token-volume/", {"lens": "total_tokens"})
    assert [name for _, name in ranks(other_lens.content.decode())] == [
        "Bob Okafor",
        "Alice Nguyen",
    ]
    assert "cannot (n/a, not 0)" not in other_lens.content.decode()


def test_a_board_of_sources_that_all_report_requests_ranks_them_without_a_note(
    employee_client, volume, usage, employee
):
    usage(employee, AUG, input=1_000, requests=3)

    page = employee_client.get("/boards/token-volume/", {"lens": "requests"}).content.decode()

    assert ranks(page) == [("1", "Alice Nguyen")]
    assert "cannot (n/a, not 0)" not in page


# --- people under a pseudonym -------------------------------------------------------------------


def test_a_pseudonym_replaces_name_and_team_on_boards(viewer, quiet) -> None:
    board = viewer.get("/boards/token-volume/").content.decode()
    index = viewer.get("/").content.decode()

    for page in (board, index):
        assert "Quinn Secret" not in page
        assert "Calm Otter 12" in page
    (row,) = [r for r in rows(board) if r.person == quiet.public_id]
    assert "Platform" not in row.html


def test_search_finds_the_pseudonym_not_the_real_name(viewer, quiet) -> None:
    assert "Calm Otter" not in viewer.get("/boards/token-volume/", {"q": "quinn"}).content.decode()
    assert "Calm Otter" in viewer.get("/boards/token-volume/", {"q": "otter"}).content.decode()


def test_archives_show_todays_choices_not_those_at_retirement(viewer, quiet, rival, volume):
    set_visibility(person=quiet, visibility="name", by=None)
    boards.retire_board(board=volume, view="archive", by=None)  # Quinn 1st, Bob 2nd, Alice 3rd

    set_visibility(person=quiet, visibility="pseudonym", by=None)
    set_visibility(person=rival, visibility="hidden", by=None)
    archive = viewer.get("/boards/token-volume/").content.decode()

    assert "Quinn Secret" not in archive and "Bob Okafor" not in archive
    assert [(row.rank, row.name, row.team) for row in rows(archive)] == [
        ("1", "Calm Otter 12", "—"),
        ("2", "Alice Nguyen", "Platform"),
    ]


# A top-only board (issue 20 §5, "never shame the bottom"): the top places and the reader's
# own neighbourhood, never the tail.


@pytest.fixture
def crowd(volume, usage, employee) -> list:
    """21 ranked on a top-only board (top 3, one place either side): P00 first ... P10 11th,
    the employee 12th, P11 13th ... P19 21st and last."""
    volume.top_only, volume.top_n, volume.neighbours = True, 3, 1
    volume.save()
    people = [PersonFactory(display_name=f"P{n:02d}") for n in range(20)]
    for n, person in enumerate(people):
        usage(person, AUG, input=1000 * (20 - n))
    usage(employee, AUG, input=9_500)
    return people


def test_a_top_only_board_shows_the_top_then_my_neighbourhood_with_bands(
    employee_client, crowd, employee
) -> None:
    page = employee_client.get("/boards/token-volume/").content.decode()

    assert ranks(page) == [
        ("1", "P00"),
        ("2", "P01"),
        ("3", "P02"),
        ("", "P10"),
        ("12", "Alice Nguyen"),
        ("", "P11"),
    ]
    assert data(page, "band") == ["top 60%", "top 70%"]  # 11th and 13th of 21
    assert [row.name for row in rows(page) if row.mine] == ["Alice Nguyen"]
    assert 'class="gap"' in page and "<tfoot>" not in page
    assert "you · 12th of 21" in page
    assert "Page 1 of" not in page
    fragment = employee_client.get("/boards/token-volume/", **HTMX).content.decode()
    assert "<html" not in fragment and ranks(fragment) == ranks(page)


def test_my_neighbourhood_is_read_once_and_follows_new_usage(employee_client, crowd, usage) -> None:
    """The neighbourhood is cached with the stored ranking: a second view reads no place
    and no badge of it, and new usage that moves the reader shows at once."""
    employee_client.get("/boards/token-volume/")

    with CaptureQueriesContext(connection) as again:
        page = employee_client.get("/boards/token-volume/").content.decode()
    sql = [q["sql"] for q in again]
    assert ("12", "Alice Nguyen") in ranks(page)
    assert not [q for q in sql if "badges_award" in q or "badges_displayedtitle" in q]
    assert len([q for q in sql if "leaderboard_place" in q]) == 1  # the stored ranking's read

    later = AUG + dt.timedelta(days=1)
    usage(crowd[9], later, input=100_000)  # P09, above the employee, now leads
    usage(crowd[12], later, input=100_000)  # P12, below her, now second: she is 13th
    moved = employee_client.get("/boards/token-volume/").content.decode()
    assert ("13", "Alice Nguyen") in ranks(moved)
    assert [name for _, name in ranks(moved)][-3:] == ["P10", "Alice Nguyen", "P11"]


def test_a_top_only_board_never_shows_the_tail_by_page_or_search(employee_client, crowd) -> None:
    tail = crowd[19]  # last, and far from the employee
    pages = [
        employee_client.get("/boards/token-volume/", {"page": 2}),
        employee_client.get("/boards/token-volume/", {"page": 2}, **HTMX),
        employee_client.get("/boards/token-volume/", {"q": "P19"}),
        employee_client.get("/boards/token-volume/", {"q": "P19"}, **HTMX),
        employee_client.get("/boards/token-volume/", {"q": "P1"}),
    ]

    for response in pages:
        page = response.content.decode()
        assert tail.public_id not in page  # no row, no link to their page
        assert "P19" not in [row.name for row in rows(page)]
        assert "21" not in [row.rank for row in rows(page)]
    assert ranks(pages[0].content.decode())[:3] == [("1", "P00"), ("2", "P01"), ("3", "P02")]
    assert "Nobody called “P19” is in the top 3." in pages[2].content.decode()
    assert ranks(pages[4].content.decode()) == []  # P10...P19 are all past the top


def test_a_search_on_a_top_only_board_finds_people_in_the_top(employee_client, crowd) -> None:
    page = employee_client.get("/boards/token-volume/", {"q": "P0"}).content.decode()

    assert ranks(page) == [("1", "P00"), ("2", "P01"), ("3", "P02")]


def test_a_reader_in_the_top_sees_the_top_and_no_band(client, crowd) -> None:
    leader = crowd[1]
    leader.user = UserFactory()
    leader.save()
    client.force_login(leader.user)

    page = client.get("/boards/token-volume/").content.decode()

    assert ranks(page) == [("1", "P00"), ("2", "P01"), ("3", "P02")]
    assert [row.name for row in rows(page) if row.mine] == ["P01"]
    assert data(page, "band") == [] and "Alice Nguyen" not in page


def test_ties_at_the_last_top_place_are_all_shown(employee_client, crowd, usage) -> None:
    usage(crowd[3], AUG + dt.timedelta(days=1), input=1000)  # P03 now ties P02 for third

    page = employee_client.get("/boards/token-volume/").content.decode()

    assert ranks(page)[:4] == [("1", "P00"), ("2", "P01"), ("3", "P02"), ("3", "P03")]


def test_a_climb_from_past_the_top_does_not_tell_the_old_rank(
    employee_client, crowd, usage
) -> None:
    for n, person in enumerate(crowd[:5]):
        usage(person, dt.date(2026, 7, 30), input=1000 * (1 + n))  # July: P04 first, P02 3rd

    page = employee_client.get("/boards/token-volume/").content.decode()

    assert 'title="up from outside the top 3">▲</span>' in page  # P00, 5th in July
    assert "up from 5" not in page and "up from 4" not in page


def test_a_board_showing_everyone_still_pages_to_the_tail(employee_client, crowd, volume):
    volume.top_only = False
    volume.save()

    page = employee_client.get("/boards/token-volume/").content.decode()

    assert ranks(page)[-1] == ("21", "P19")
    assert data(page, "band") == []


def test_a_retired_top_only_board_archives_the_top_only(employee_client, crowd, volume) -> None:
    boards.retire_board(board=volume, view="archive", by=None)

    page = employee_client.get("/boards/token-volume/").content.decode()

    assert [(r.rank, r.name) for r in rows(page)] == [("1", "P00"), ("2", "P01"), ("3", "P02")]
