"""Every page, in full and as an htmx fragment; lenses, periods, ties, the pinned row,
paused/retired/hidden/switched-off states, and who may see what."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from badges.models import Award, Badge
from leaderboard.models import Board, Team
from leaderboard.services import boards
from tests.factories import PersonFactory, TeamFactory, UserFactory

from .conftest import AUG

HTMX = {"HTTP_HX_REQUEST": "true"}


def ranks(html: str) -> list[tuple[str, str]]:
    """(rank, name) of each standings row."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(
        r'<td class="num">(\d+)</td>\s*<td><a href="/people/[\w-]+/"[^>]*>([^<]+)</a>', body
    )


def grant_first_badge(person, *, name: str, icon: str = "L", title: str = "") -> Badge:
    """A one-tier badge, and its award to person in August."""
    badge = Badge.objects.create(
        slug=name.lower().replace(" ", "-"),
        name=name,
        description="d",
        icon=icon,
        group="Test",
        title=title,
        kind="first",
        tiers={"bronze": None},
        period="all_time",
        enabled=True,
    )
    Award.objects.create(
        person=person,
        badge=badge,
        tier="bronze",
        period_start=AUG,
        period_end=AUG,
        granted_at=dt.datetime(2026, 8, 20, tzinfo=dt.UTC),
    )
    return badge


def post_notices_seen(client, page: str):
    """What a page's "new badge" notice does as it loads (htmx): post the awards it showed."""
    form = page.split('id="badge-notices"', 1)[1].split("</form>", 1)[0]
    url = re.search(r'hx-post="([^"]+)"', form).group(1)
    shown = re.findall(r'name="award" value="(\d+)"', form)
    return client.post(url, {"award": shown}, **HTMX)


@pytest.fixture
def employee(client, alice):
    client.force_login(alice.user)
    return client


@pytest.fixture
def field(usage, alice, bob, platform):
    """Alice, Bob and Carol with different strengths in August, Dan on another team."""
    carol = PersonFactory(display_name="Carol Diaz", team=platform)
    dan = PersonFactory(display_name="Dan Ito", team=TeamFactory(name="Payments"))
    usage(alice, AUG, input=4_000, cache_read=1_000, output=500, requests=10, cost="1.00")
    usage(bob, AUG, input=200_000, cache_read=1_800_000, output=100, requests=2, cost="9.00")
    usage(bob, AUG + dt.timedelta(days=1), input=1, requests=1)
    usage(carol, AUG, input=1_000, output=5_500, requests=1, cost="0.10")
    usage(dan, AUG, input=1_000, output=5_500, requests=1, cost="0.10")
    return {"alice": alice, "bob": bob, "carol": carol, "dan": dan}


@pytest.mark.parametrize(
    "path", ["/", "/boards/token-volume/", "/people/1/", "/teams/1/", "/manage/unattributed/"]
)
def test_every_page_needs_a_login(client, seeded_boards, path) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_boards_index_shows_top_three_and_my_rank(employee, seeded_boards, field) -> None:
    page = employee.get("/").content.decode()

    volume = page.split("Token volume</a>", 1)[1].split("</article>", 1)[0]
    assert re.findall(r'<span class="rank">(\d)</span> <a[^>]*>([^<]+)</a>', volume) == [
        ("1", "Bob Okafor"),
        ("2", "Carol Diaz"),
        ("2", "Dan Ito"),
    ]
    assert "You: <strong>#4</strong> of 4" in volume
    assert page.count('class="card board-card"') == 4


def test_standings_rank_by_the_default_lens_and_ties_share_a_rank(employee, volume, field) -> None:
    response = employee.get("/boards/token-volume/")

    page = response.content.decode()
    assert ranks(page) == [
        ("1", "Bob Okafor"),
        ("2", "Carol Diaz"),
        ("2", "Dan Ito"),
        ("4", "Alice Nguyen"),
    ]
    assert "August 2026" in page
    mine = r'<tr data-person="[\w-]+" class="me" aria-current="true">\s*<td class="num">4</td>'
    assert re.search(mine, page)
    assert "2.0M" in page  # Bob: 2,000,101 tokens, readable
    assert "<html" in page


def test_standings_answer_htmx_with_the_fragment_only(employee, volume, field) -> None:
    response = employee.get("/boards/token-volume/", {"lens": "output"}, **HTMX)

    page = response.content.decode()
    assert "<html" not in page
    assert page.lstrip().startswith('<section id="standings"')
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
def test_every_lens_ranks_by_its_own_metric(employee, volume, field, lens, expected) -> None:
    page = employee.get("/boards/token-volume/", {"lens": lens}).content.decode()

    assert [name for _, name in ranks(page)] == expected
    assert ("input-side tokens in the period are ranked" in page) == (lens == "cache_read_share")


def test_lens_values_are_shown_in_their_unit(employee, volume, field) -> None:
    assert (
        "90.0%"
        in employee.get("/boards/token-volume/", {"lens": "cache_read_share"}).content.decode()
    )
    assert "$9.00" in employee.get("/boards/token-volume/", {"lens": "cost"}).content.decode()


def test_stepping_back_shows_the_previous_period(employee, volume, field, usage) -> None:
    usage(field["alice"], dt.date(2026, 7, 30), input=10**12)

    page = employee.get("/boards/token-volume/", {"back": 1}).content.decode()

    assert "July 2026" in page
    assert ranks(page) == [("1", "Alice Nguyen")]
    assert 'rel="next"' in page


def test_rank_change_against_the_previous_period(employee, volume, field, usage) -> None:
    usage(field["alice"], dt.date(2026, 7, 30), input=100)
    usage(field["carol"], dt.date(2026, 7, 30), input=1000)

    page = employee.get("/boards/token-volume/").content.decode()

    assert 'title="down from 2">▼ 2</span>' in page  # Alice: 2nd in July, 4th now
    assert 'title="not ranked in the previous period">new</span>' in page


def test_search_keeps_everyones_rank(employee, volume, field) -> None:
    page = employee.get("/boards/token-volume/", {"q": "dan"}, **HTMX).content.decode()

    assert ranks(page) == [("2", "Dan Ito")]


def test_team_filter_ranks_within_the_team(employee, volume, field) -> None:
    platform = field["alice"].team

    page = employee.get("/boards/token-volume/", {"team": platform.pk}).content.decode()

    assert ranks(page) == [("1", "Bob Okafor"), ("2", "Carol Diaz"), ("3", "Alice Nguyen")]


def test_a_team_is_chosen_by_name_in_any_case_and_an_unknown_name_says_so(
    employee, volume, field
) -> None:
    by_name = employee.get("/boards/token-volume/", {"team": "pLaTfOrM"}).content.decode()
    unknown = employee.get("/boards/token-volume/", {"team": "Nobody's team"}).content.decode()

    assert ranks(by_name) == [("1", "Bob Okafor"), ("2", "Carol Diaz"), ("3", "Alice Nguyen")]
    assert "No team is called “Nobody&#x27;s team”: showing everyone." in unknown
    assert [name for _, name in ranks(unknown)] == [
        "Bob Okafor",
        "Carol Diaz",
        "Dan Ito",
        "Alice Nguyen",
    ]


def test_thousands_of_teams_are_a_search_box_whose_names_load_on_demand(
    employee, volume, field
) -> None:
    """A board over every team in a large company: no page carries every team's name."""
    for n in range(40):
        TeamFactory(name=f"Squad {n:02d}")

    page = employee.get("/boards/token-volume/").content.decode()
    chosen = employee.get("/boards/token-volume/", {"team": "Payments"}).content.decode()
    TeamFactory(name="Zeta Squad")
    names = employee.get(reverse("leaderboard:team-names")).content.decode()

    assert '<select id="team"' not in page
    assert "Squad 07" not in page
    search = page.split('id="team"', 1)[1].split(">", 1)[0]
    assert 'list="team-names"' in search
    assert f'hx-get="{reverse("leaderboard:team-names")}"' in search
    assert 'hx-trigger="focus once"' in search
    assert 'value="Payments"' in chosen.split('id="team"', 1)[1].split(">", 1)[0]
    assert ranks(chosen) == [("1", "Dan Ito")]
    offered = re.findall(r'<option value="([^"]+)">', names)
    assert len(offered) == Team.objects.count() == 43
    assert offered[:2] == ["Payments", "Platform"]
    assert "Zeta Squad" in offered


def test_my_row_is_pinned_with_rank_and_percentile_when_off_the_page(
    employee, volume, usage, alice
):
    for n in range(59):
        usage(PersonFactory(display_name=f"P{n:02d}"), AUG, input=10_000 + n)
    usage(alice, AUG, input=1)

    page = employee.get("/boards/token-volume/").content.decode()

    pinned = page.split("<tfoot>", 1)[1]
    assert '<td class="num">60</td>' in pinned
    assert "(you, top 100.0%)" in pinned
    assert "Alice Nguyen" not in page.split("<tfoot>", 1)[0].split("<tbody>", 1)[1]
    second = employee.get("/boards/token-volume/", {"page": 2}).content.decode()
    assert "<tfoot>" not in second  # on page 2 Alice's own row is in the table


def test_standings_pages_make_the_same_queries_for_5_or_60_people(
    employee, volume, usage, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert employee.get("/boards/token-volume/").status_code == 200
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
        employee.get("/boards/token-volume/")
    assert len(again) < many
    assert not [q for q in again if "usagefact" in q["sql"] and "RANK()" in q["sql"]]
    with django_assert_num_queries(len(again)):
        employee.get("/boards/token-volume/")


def test_a_cached_board_page_reads_its_counters_ranking_and_your_place_at_once(
    employee, volume, field
) -> None:
    """Every board page reads the site switch and the version counters (boards, usage,
    badges) in one query, and the stored ranking with your place in it in another: with
    the session, the user and the person, five in all."""
    employee.get("/boards/token-volume/")

    with CaptureQueriesContext(connection) as cached:
        page = employee.get("/boards/token-volume/").content.decode()

    sql = [q["sql"] for q in cached]
    assert 'class="me" aria-current="true"' in page  # your place was read
    assert [q for q in sql if "badges_badgeversion" in q] == [
        q for q in sql if "leaderboard_siteswitch" in q
    ]
    assert [q for q in sql if "leaderboard_place" in q] == [
        q for q in sql if "leaderboard_rankedscope" in q
    ]
    assert len(sql) == 5, sql


def test_cached_rows_highlight_each_viewers_own_row(employee, client, volume, field) -> None:
    """The rendered rows are shared by everyone who opens the page; the highlight is not."""
    bob = field["bob"]
    bob.user = UserFactory()
    bob.save()
    first = employee.get("/boards/token-volume/").content.decode()
    client.force_login(bob.user)

    with CaptureQueriesContext(connection) as cached:
        second = client.get("/boards/token-volume/").content.decode()
    assert not [q for q in cached if "badges_award" in q["sql"]]  # rows came from the cache

    def highlighted(page: str) -> list[str]:
        return re.findall(
            r'<tr data-person="[\w-]+" class="me" aria-current="true">\s*<td class="num">\d+</td>'
            r"\s*<td><a [^>]*>([^<]+)</a>",
            page,
        )

    assert highlighted(first) == ["Alice Nguyen"]
    assert highlighted(second) == ["Bob Okafor"]
    assert ranks(first) == ranks(second)


def test_cached_boards_follow_changes_to_a_board_and_its_teams(employee, volume, field) -> None:
    """Pages read the boards from the cache; database triggers move the boards version
    whatever writes the change (here without save() or signals)."""
    assert "<h1>Token volume</h1>" in employee.get("/boards/token-volume/").content.decode()

    Board.objects.filter(pk=volume.pk).update(name="Token river")
    assert "<h1>Token river</h1>" in employee.get("/boards/token-volume/").content.decode()

    volume.teams.add(field["dan"].team)
    page = employee.get("/boards/token-volume/").content.decode()
    assert ranks(page) == [("1", "Dan Ito")]

    Team.objects.filter(pk=field["dan"].team_id).update(name="Billing")
    page = employee.get("/boards/token-volume/").content.decode()
    team_filter = page.split('id="team"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r">([^<]+)</option>", team_filter) == ["Everyone", "Billing"]


def test_cached_rows_show_a_badge_granted_after_they_were_rendered(employee, volume, field) -> None:
    employee.get("/boards/token-volume/")

    with CaptureQueriesContext(connection) as cached:
        before = employee.get("/boards/token-volume/").content.decode()
    assert not [q for q in cached if "badges_award" in q["sql"]]  # rows came from the cache
    grant_first_badge(field["carol"], name="Late Bloomer", icon="🌸")

    after = employee.get("/boards/token-volume/").content.decode()

    assert "🌸" not in before
    carol_row = after.split("Carol Diaz</a>", 1)[1].split("</tr>", 1)[0]
    assert 'title="Late Bloomer (bronze)"' in carol_row


def test_seeing_your_new_badge_keeps_everyone_s_cached_rows(employee, volume, field) -> None:
    """Opening your own page marks your new badges seen (its notice posts that as it loads);
    no row shows that, so the rows everyone reads stay cached (a revocation, which rows do
    show, renders them again)."""
    badge = grant_first_badge(field["alice"], name="Late Bloomer", icon="🌸")
    employee.get("/boards/token-volume/")

    own_page = employee.get(f"/people/{field['alice'].public_id}/").content.decode()
    post_notices_seen(employee, own_page)
    with CaptureQueriesContext(connection) as after_seen:
        employee.get("/boards/token-volume/")
    Award.objects.filter(badge=badge).update(revoked_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC))
    with CaptureQueriesContext(connection) as after_revoked:
        rows = employee.get("/boards/token-volume/").content.decode()

    assert "Late Bloomer" in own_page
    assert Award.objects.get(badge=badge).noticed_at is not None
    assert not [q for q in after_seen if "badges_award" in q["sql"]]  # rows from the cache
    assert [q for q in after_revoked if "badges_award" in q["sql"]]
    assert "🌸" not in rows


def test_the_team_filter_offers_a_team_created_after_the_page_was_cached(
    employee, volume, field
) -> None:
    before = employee.get("/boards/token-volume/").content.decode()
    zeta = TeamFactory(name="Zeta Squad")
    after = employee.get("/boards/token-volume/").content.decode()
    chosen = employee.get("/boards/token-volume/", {"team": zeta.pk}).content.decode()

    assert "Zeta Squad" not in before
    assert f'<option value="{zeta.pk}">Zeta Squad</option>' in after
    assert f'<option value="{zeta.pk}" selected>Zeta Squad</option>' in chosen


def test_paused_board_shows_a_banner_and_freezes_standings(employee, volume, field, usage) -> None:
    boards.pause_board(board=volume, by=None)
    usage(field["alice"], dt.date(2026, 8, 21), input=10**12)  # after the pause

    page = employee.get("/boards/token-volume/").content.decode()

    assert "Paused." in page and "frozen as of 20 Aug 2026" in page
    assert ranks(page)[0] == ("1", "Bob Okafor")


def test_retired_board_shows_its_archive(employee, volume, field, usage) -> None:
    boards.retire_board(board=volume, view="archive", by=None)
    usage(field["alice"], AUG + dt.timedelta(days=2), input=10**12)  # too late for the archive

    page = employee.get("/boards/token-volume/").content.decode()

    assert "Retired on 20 August 2026" in page
    assert re.findall(r"<td>([A-Z][a-z]+ [A-Z][a-z]+)</td>", page)[:1] == ["Bob Okafor"]
    assert "Token volume" in employee.get("/").content.decode().split("Archive", 1)[1]


def test_hidden_retired_board_is_not_found(employee, volume, field) -> None:
    boards.retire_board(board=volume, view="hidden", by=None)

    assert employee.get("/boards/token-volume/").status_code == 404
    assert "/boards/token-volume/" not in employee.get("/").content.decode()


def test_site_switch_hides_every_board_and_keeps_my_page(employee, volume, field) -> None:
    boards.set_boards_visible(visible=False, by=None)

    for path in [
        "/",
        "/boards/token-volume/",
        f"/teams/{field['alice'].team_id}/",
        f"/people/{field['bob'].public_id}/",
    ]:
        response = employee.get(path)
        assert response.status_code == 503
        assert "The leaderboard is not available" in response.content.decode()
    assert employee.get(f"/people/{field['alice'].public_id}/").status_code == 200


def test_person_page_shows_totals_badges_and_charts(employee, seeded_boards, field) -> None:
    bob = field["bob"]

    page = employee.get(f"/people/{bob.public_id}/").content.decode()

    assert "Bob Okafor" in page and "Platform" in page
    assert "90.0%" in page  # cache-read share in August
    for chart in ["chart-tokens", "chart-cost", "chart-cache", "chart-rank"]:
        assert f'data-chart="{chart}"' in page
        assert f'<script id="{chart}" type="application/json"' in page
    assert 'name="badge"' not in page  # only the owner picks a title


def test_a_cached_person_page_follows_new_usage_badges_and_board_changes(
    employee, seeded_boards, field, usage
) -> None:
    """The history and badges are rendered once and shared; what they show still changes
    with the usage, the awards and the board they are ranked on."""
    bob = field["bob"]
    path = f"/people/{bob.public_id}/"
    first = employee.get(path).content.decode()
    with CaptureQueriesContext(connection) as cached:
        again = employee.get(path).content.decode()
    read = [q["sql"] for q in cached]
    assert not [q for q in read if "usagefact" in q or "badges_award" in q]  # from the cache
    total = re.compile(r'<dt>Total tokens</dt><dd title="(\d+)">')
    assert total.findall(first) == total.findall(again) == ["2000101"]

    usage(bob, AUG + dt.timedelta(days=2), input=7_000_000_000)
    assert total.findall(employee.get(path).content.decode()) == ["7002000101"]

    grant_first_badge(bob, name="Late Bloomer")
    assert "<strong>Late Bloomer</strong>" in employee.get(path).content.decode()
    assert "Late Bloomer" not in first

    seeded_boards["token-volume"].name = "Token mountain"
    seeded_boards["token-volume"].save()
    assert "Rank on Token mountain</figcaption>" in employee.get(path).content.decode()


def test_person_page_lists_each_badge_once_with_its_other_periods(
    employee, seeded_boards, field
) -> None:
    badge = Badge.objects.create(
        slug="weekly",
        name="Weekly Wonder",
        description="d",
        icon="W",
        group="Habits",
        kind="threshold",
        params={"metric": "output"},
        tiers={"gold": 1},
        period="week",
        enabled=True,
    )
    for week in range(3):
        start = AUG - dt.timedelta(days=7 * week)
        Award.objects.create(
            person=field["bob"],
            badge=badge,
            tier="gold",
            period_start=start,
            period_end=start + dt.timedelta(days=6),
            granted_at=dt.datetime(2026, 8, 20, tzinfo=dt.UTC),
            evidence={"output": 100 + week},
            revoked_at=dt.datetime(2026, 8, 21, tzinfo=dt.UTC) if week == 2 else None,
            revoked_reason="the condition no longer holds" if week == 2 else "",
        )

    page = employee.get(f"/people/{field['bob'].public_id}/").content.decode()

    assert page.count("<strong>Weekly Wonder</strong>") == 1
    latest = page.split("<strong>Weekly Wonder</strong>", 1)[1].split("</li>", 1)[0]
    assert "×3" in latest and "output: 100" in latest and AUG.isoformat() in latest
    earlier = page.split("2 more</summary>", 1)[1].split("</details>", 1)[0]
    assert earlier.count("<li") == 2
    assert "the condition no longer holds" in earlier  # a revoked period stays in the history
    vet = Badge.objects.create(
        slug="vet",
        name="Volume Vet",
        description="d",
        icon="V",
        group="Volume",
        kind="threshold",
        params={"metric": "output"},
        tiers={"bronze": 1, "silver": 2, "gold": 3},
        period="all_time",
        enabled=True,
    )
    for tier in ["bronze", "silver", "gold"]:  # one period, three tiers: the best one leads
        Award.objects.create(
            person=field["bob"],
            badge=vet,
            tier=tier,
            period_start=dt.date(1, 1, 1),
            period_end=dt.date(9999, 12, 31),
            granted_at=dt.datetime(2026, 8, 20, tzinfo=dt.UTC),
        )
    page = employee.get(f"/people/{field['bob'].public_id}/").content.decode()
    latest = page.split("<strong>Volume Vet</strong>", 1)[1].split("</li>", 1)[0]
    assert "×" not in latest.split("<details", 1)[0]  # one period
    assert '<span class="tier-label">Gold</span>' in latest and "all time" in latest


def test_person_page_fragment_switches_stacking(employee, seeded_boards, field) -> None:
    page = employee.get(
        f"/people/{field['bob'].public_id}/", {"by": "model"}, **HTMX
    ).content.decode()

    assert page.lstrip().startswith('<section id="history">')
    assert '"name":"gpt-5"' in page.replace(" ", "")


def test_owner_chooses_a_title_and_sees_new_badges_once(employee, seeded_boards, field) -> None:
    alice = field["alice"]
    badge = grant_first_badge(alice, name="Trail Blazer", icon="T", title="Trailblazer")

    first = employee.get(f"/people/{alice.public_id}/").content.decode()
    unseen = employee.get(f"/people/{alice.public_id}/").content.decode()  # a GET writes nothing
    seen = post_notices_seen(employee, first)  # as the notice does when the page loads
    second = employee.get(f"/people/{alice.public_id}/").content.decode()

    assert "New badge:" in unseen and seen.status_code == 204
    assert "New badge:" in first and "New badge" not in second
    response = employee.post(f"/people/{alice.public_id}/title/", {"badge": badge.pk}, follow=True)
    assert "Your title is now Trailblazer." in response.content.decode()
    standings = employee.get("/boards/token-volume/").content.decode()
    assert '<span class="title">Trailblazer</span>' in standings


def test_nobody_changes_someone_elses_title(employee, field) -> None:
    """Refused exactly as for an id nobody has: a 403 would confirm the person exists."""
    others = employee.post(f"/people/{field['bob'].public_id}/title/", {"badge": ""})
    nobody = employee.post("/people/nobody-has-this/title/", {"badge": ""})

    assert others.status_code == nobody.status_code == 404


def test_team_page_ranks_members(employee, seeded_boards, field) -> None:
    page = employee.get(f"/teams/{field['alice'].team_id}/").content.decode()

    assert ranks(page) == [("1", "Bob Okafor"), ("2", "Carol Diaz"), ("3", "Alice Nguyen")]
    assert 'data-chart="chart-team"' in page


def test_unattributed_page_is_for_managers_only(employee, client, seeded_boards, usage) -> None:
    from tests.factories import AccountFactory, UsageFactFactory

    UsageFactFactory(
        account=AccountFactory(person=None, external_id="key-x"),
        source=usage.source,
        day=AUG,
        input=1_500_000,
        cost=Decimal("2.50"),
    )
    assert employee.get("/manage/unattributed/").status_code == 404

    client.force_login(UserFactory(username="boss", is_staff=True))
    page = client.get("/manage/unattributed/").content.decode()
    assert "1.5M" in page and "$2.50" in page
    assert "/admin/leaderboard/account/" in page


def test_names_from_providers_are_escaped(employee, volume, usage) -> None:
    usage(PersonFactory(display_name="<script>alert(1)</script>"), AUG, input=10)

    page = employee.get("/boards/token-volume/").content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_pages_carry_a_strict_content_security_policy(employee, seeded_boards, field) -> None:
    response = employee.get(f"/people/{field['alice'].public_id}/")

    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert f'nonce="{nonce}"' in response.content.decode()
    assert "<script>" not in response.content.decode()  # no inline script bodies


def test_a_rows_trend_is_the_last_31_days_up_to_today(employee, volume, usage, alice) -> None:
    """A row's sparkline shows daily tokens over the last 31 days up to today: no flat tail
    of days still to come, and on a month's first days the month before gives it a trend."""
    today = timezone.now().date()  # 20 August
    usage(alice, today, input=3_000)
    usage(alice, dt.date(2026, 7, 25), input=1_500)  # before the month, within the 31 days
    usage(alice, dt.date(2026, 7, 20), input=9_000)  # 32 days ago: outside

    page = employee.get("/boards/token-volume/").content.decode()

    row = page.split(f'<tr data-person="{alice.public_id}"', 1)[1].split("</tr>", 1)[0]
    points = re.search(r'<polyline points="([^"]*)"', row).group(1).split()
    heights = [float(point.split(",")[1]) for point in points]  # 23.0: none, 1.0: the most
    assert len(heights) == 31
    assert heights[-1] == 1.0  # today, the busiest day shown
    assert heights[4] == 12.0  # 25 July, half as much
    assert [i for i, h in enumerate(heights) if h != 23.0] == [4, 30]
    assert 'aria-label="Daily tokens, last 31 days"' in row


def test_person_page_without_a_live_board_charts_no_rank(employee, seeded_boards, field) -> None:
    Board.objects.update(status=Board.Status.PAUSED, paused_at=timezone.now())

    response = employee.get(f"/people/{field['bob'].public_id}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-chart="chart-tokens"' in page
    assert 'data-chart="chart-rank"' not in page
