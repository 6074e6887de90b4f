"""A person's page (leaderboard.web.views.people.person), in full and as an htmx fragment:
totals, badges and charts, the cache behind them, requests and costs that cannot be known,
and what a pseudonym, a hidden person or a missing one looks like."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leaderboard.models import Board
from leaderboard.services import accounts
from leaderboard.services.people import (
    ensure_user_for_person,
    set_ranking_exclusion,
    set_visibility,
)
from tests.factories import (
    AccountFactory,
    AwardFactory,
    BadgeFactory,
    PersonFactory,
    SourceFactory,
    UserFactory,
)
from tests.helpers import AUG, HTMX, data, elements, grant_first_badge, ranks, script_json


def test_person_page_shows_totals_badges_and_charts(
    employee_client, seeded_boards, field, rival
) -> None:
    page = employee_client.get(f"/people/{rival.public_id}/").content.decode()

    assert "Bob Okafor" in page and "Platform" in page
    assert "90.0%" in page  # cache-read share in August
    for chart in ["chart-tokens", "chart-cost", "chart-cache", "chart-rank"]:
        assert f'data-chart="{chart}"' in page
        assert f'<script id="{chart}" type="application/json"' in page
    assert 'name="badge"' not in page  # only the owner picks a title


def test_person_page_without_a_live_board_charts_no_rank(
    employee_client, seeded_boards, field, rival
) -> None:
    Board.objects.update(status=Board.Status.PAUSED, paused_at=timezone.now())

    response = employee_client.get(f"/people/{rival.public_id}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-chart="chart-tokens"' in page
    assert 'data-chart="chart-rank"' not in page


def test_a_cached_person_page_follows_new_usage_badges_and_board_changes(
    employee_client, seeded_boards, field, rival, usage
) -> None:
    """The history and badges are rendered once and shared; what they show still changes
    with the usage, the awards and the board they are ranked on."""
    path = f"/people/{rival.public_id}/"
    first = employee_client.get(path).content.decode()
    with CaptureQueriesContext(connection) as cached:
        again = employee_client.get(path).content.decode()
    read = [q["sql"] for q in cached]
    assert not [q for q in read if "usagefact" in q or "badges_award" in q]  # from the cache
    assert data(first, "total-tokens") == data(again, "total-tokens") == ["2000101"]

    usage(rival, AUG + dt.timedelta(days=2), input=7_000_000_000)
    assert data(employee_client.get(path).content.decode(), "total-tokens") == ["7002000101"]

    grant_first_badge(rival, name="Late Bloomer")
    assert "<strong>Late Bloomer</strong>" in employee_client.get(path).content.decode()
    assert "Late Bloomer" not in first

    seeded_boards["token-volume"].name = "Token mountain"
    seeded_boards["token-volume"].save()
    assert "Rank on Token mountain</figcaption>" in employee_client.get(path).content.decode()


def test_person_page_lists_each_badge_once_with_its_other_periods(
    employee_client, seeded_boards, field, rival
) -> None:
    badge = BadgeFactory(
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
        AwardFactory(
            person=rival,
            badge=badge,
            tier="gold",
            period_start=start,
            period_end=start + dt.timedelta(days=6),
            granted_at=dt.datetime(2026, 8, 20, tzinfo=dt.UTC),
            evidence={"output": 100 + week},
            revoked_at=dt.datetime(2026, 8, 21, tzinfo=dt.UTC) if week == 2 else None,
            revoked_reason="the condition no longer holds" if week == 2 else "",
        )

    page = employee_client.get(f"/people/{rival.public_id}/").content.decode()

    assert page.count("<strong>Weekly Wonder</strong>") == 1
    latest = page.split("<strong>Weekly Wonder</strong>", 1)[1].split("</li>", 1)[0]
    assert "×3" in latest and "100 output tokens" in latest and AUG.isoformat() in latest
    earlier = page.split("2 more</summary>", 1)[1].split("</details>", 1)[0]
    assert earlier.count("<li") == 2
    assert "the condition no longer holds" in earlier  # a revoked period stays in the history
    vet = BadgeFactory(
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
    AwardFactory(  # one award for the period, at the best tier, with when each was reached
        person=rival,
        badge=vet,
        tier="gold",
        tiers_reached={
            "bronze": "2026-08-18T09:00:00+00:00",
            "silver": "2026-08-19T09:00:00+00:00",
            "gold": "2026-08-20T09:00:00+00:00",
        },
        period_start=dt.date(1, 1, 1),
        period_end=dt.date(9999, 12, 31),
        granted_at=dt.datetime(2026, 8, 18, 9, tzinfo=dt.UTC),
    )
    page = employee_client.get(f"/people/{rival.public_id}/").content.decode()
    latest = page.split("<strong>Volume Vet</strong>", 1)[1].split("</li>", 1)[0]
    assert "×" not in latest.split("<details", 1)[0]  # one period
    assert '<span class="tier-label">Gold</span>' in latest and "all time" in latest
    (reached,) = elements(latest, "small", data_tiers="bronze silver gold")
    assert reached.text == "Reached bronze on 2026-08-18, silver on 2026-08-19, gold on 2026-08-20."


def test_person_page_fragment_switches_stacking(
    employee_client, seeded_boards, field, rival
) -> None:
    page = employee_client.get(
        f"/people/{rival.public_id}/", {"by": "model"}, **HTMX
    ).content.decode()

    assert page.lstrip().startswith('<section id="history">')
    assert '"name":"gpt-5"' in page.replace(" ", "")


def test_pages_carry_a_strict_content_security_policy(
    employee_client, seeded_boards, field, employee
) -> None:
    response = employee_client.get(f"/people/{employee.public_id}/")

    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert f'nonce="{nonce}"' in response.content.decode()
    assert "<script>" not in response.content.decode()  # no inline script bodies


# --- requests and costs that cannot be known ----------------------------------------------------


def test_a_persons_requests_are_na_when_none_of_their_usage_reports_requests(
    client, volume, mixed, rival
):
    rival.user = UserFactory(username="bob")
    rival.save()
    client.force_login(rival.user)

    page = client.get(f"/people/{rival.public_id}/").content.decode()

    assert "<dt>Requests</dt><dd>n/a</dd>" in page


def test_a_persons_requests_count_only_the_sources_that_report_them(
    employee_client, volume, mixed, employee
):
    page = employee_client.get(f"/people/{employee.public_id}/").content.decode()

    assert "<dt>Requests</dt><dd>7 <small" in page
    assert "from sources that report them" in page


def test_tokens_are_na_for_a_person_whose_usage_reports_none(employee_client, volume, rival, usage):
    copilot = SourceFactory(name="copilot-org", provider="copilot")
    usage(rival, AUG, source=copilot, model="copilot", requests=9)

    page = employee_client.get(f"/people/{rival.public_id}/").content.decode()

    (total,) = elements(page, data_total_tokens=None)
    assert total.attrs["data-tokens-missing"] == "all"
    assert total.text.startswith("n/a")  # not "0": Copilot's IDE use has no tokens


def test_tokens_cover_only_the_usage_that_reports_them(employee_client, volume, rival, usage):
    copilot = SourceFactory(name="copilot-org", provider="copilot")
    usage(rival, AUG, input=1_000, output=500)
    usage(rival, AUG, source=copilot, model="copilot", requests=9)

    page = employee_client.get(f"/people/{rival.public_id}/").content.decode()

    (total,) = elements(page, data_total_tokens=None)
    assert total.attrs["data-tokens-missing"] == "some"
    assert total.attrs["data-total-tokens"] == "1500"
    assert "from usage that reports them" in total.text


def test_a_person_with_no_usage_made_zero_requests(employee_client, volume, employee):
    page = employee_client.get(f"/people/{employee.public_id}/").content.decode()

    assert "<dt>Requests</dt><dd>0</dd>" in page


AUG4 = AUG + dt.timedelta(days=1)


def totals_cost(page: str) -> str:
    return page.split("<dt>Cost</dt><dd>", 1)[1].split("</dd>", 1)[0]


def test_person_page_marks_estimated_partial_and_unpriced_totals(
    employee_client, employee, usage, seeded_boards
) -> None:
    url = f"/people/{employee.public_id}/"
    usage(employee, AUG4, model="mystery-model", input=10)  # no cost, no price
    assert ">n/a</abbr>" in totals_cost(employee_client.get(url).content.decode())

    usage(employee, AUG, input=4_000, cost=Decimal("1.25"), cost_estimated=True)
    page = employee_client.get(url).content.decode()

    assert "≥</abbr> $1.25" in totals_cost(page)
    chart = script_json(page, "chart-cost")
    assert chart["data"][0]["x"] == [AUG.isoformat()]  # no $0 bar for the unpriced day


# --- pseudonyms, hidden people and people who do not exist --------------------------------------


def test_the_person_page_of_a_pseudonym_shows_no_name_or_team(viewer, quiet) -> None:
    page = viewer.get(f"/people/{quiet.public_id}/").content.decode()

    assert "Calm Otter 12" in page
    assert "Quinn Secret" not in page and "Platform</a>" not in page


def test_hidden_people_appear_nowhere_but_keep_their_own_page(client, viewer, quiet) -> None:
    set_visibility(person=quiet, visibility="hidden", by=None)

    board = viewer.get("/boards/token-volume/").content.decode()
    assert "Calm Otter" not in board and "Quinn" not in board
    assert "Calm Otter" not in viewer.get(f"/teams/{quiet.team_id}/").content.decode()
    assert viewer.get(f"/people/{quiet.public_id}/").status_code == 404

    client.force_login(ensure_user_for_person(person=quiet))
    own = client.get(f"/people/{quiet.public_id}/")
    assert own.status_code == 200 and "Quinn Secret" in own.content.decode()


def test_people_excluded_from_ranking_are_on_no_board_but_see_their_own_page_and_why(
    client, employee_client, seeded_boards, field, rival
) -> None:
    set_ranking_exclusion(
        people=[rival], excluded=True, reason="Runs the evaluation harness", by=None
    )

    board = employee_client.get("/boards/token-volume/").content.decode()
    assert "Bob Okafor" not in board and rival.public_id not in board
    (card,) = elements(
        employee_client.get("/").content.decode(), "article", data_board="token-volume"
    )
    assert ranks(card.html) == [("1", "Carol Diaz"), ("1", "Dan Ito"), ("3", "Alice Nguyen")]
    assert "You: <strong>#3</strong> of 3" in card.html
    assert employee_client.get(f"/people/{rival.public_id}/").status_code == 404

    client.force_login(ensure_user_for_person(person=rival))
    own = client.get(f"/people/{rival.public_id}/").content.decode()
    (note,) = elements(own, "div", data_excluded_from_ranking=None)
    assert "excluded from ranking" in note.html and "Runs the evaluation harness" in note.html
    assert data(own, "total-tokens") == ["2000101"]  # their usage, still shown to them


def test_hidden_and_missing_people_look_the_same_on_every_url_and_method(viewer, rival) -> None:
    set_visibility(person=rival, visibility="hidden", by=None)
    hidden, missing = f"/people/{rival.public_id}/", "/people/nobody-has-this/"

    for suffix, method, fields in [
        ("", "get", {}),
        ("", "post", {}),
        ("?period=week", "get", {}),
        ("privacy/", "post", {"visibility": "name"}),
        ("privacy/", "get", {}),
        ("title/", "post", {"badge": ""}),
        ("title/", "get", {}),
    ]:
        one = getattr(viewer, method)(hidden + suffix, fields)
        other = getattr(viewer, method)(missing + suffix, fields)
        assert (one.status_code, one.content) == (other.status_code, other.content), suffix
        assert one.status_code in {404, 405}
    rival.refresh_from_db()
    assert rival.visibility == "hidden"


def test_person_urls_use_a_random_id_and_the_old_numbers_answer_404(
    viewer, employee, rival
) -> None:
    board = viewer.get("/boards/token-volume/").content.decode()

    assert f'href="/people/{rival.public_id}/"' in board
    assert f'href="/people/{rival.pk}/"' not in board
    assert viewer.get(f"/people/{rival.public_id}/").status_code == 200
    assert viewer.get(f"/people/{rival.pk}/").status_code == 404
    ids = [PersonFactory().public_id for _ in range(50)] + [employee.public_id, rival.public_id]
    assert len(set(ids)) == len(ids) and all(len(i) >= 16 for i in ids)
    assert not any(i.isdigit() for i in ids)


def test_on_a_top_only_board_others_see_a_rank_chart_only_inside_the_top(
    employee_client, volume, field, employee, rival, teammate
) -> None:
    """Carol is second on token volume, past a top of one: her rank is hers to see."""
    volume.top_only, volume.top_n = True, 1
    volume.save()

    def ranks(person) -> list[int | None]:
        page = employee_client.get(f"/people/{person.public_id}/", {"board": volume.slug})
        return script_json(page.content.decode(), "chart-rank")["data"][0]["y"]

    assert ranks(rival)[-1] == 1
    assert ranks(teammate) == []  # never inside the top: nothing charted, no rank leaks
    assert ranks(employee)[-1] == 4  # her own


def _ledger(page: str) -> dict[str, list[str]]:
    """{kind: [entry text]} of the ledger on a person page, in page order."""
    entries: dict[str, list[str]] = {}
    for entry in elements(page, "li", data_ledger_entry=None):
        entries.setdefault(entry.attrs["data-ledger-entry"] or "", []).append(entry.text)
    return entries


def test_the_owner_sees_every_change_to_their_standing_with_its_reason(
    employee_client, employee, rival, manager
) -> None:
    given, unmatched = AccountFactory(person=rival), AccountFactory(person=employee)
    accounts.attribute_account(account=given, person=employee, by=manager)
    unmatched_name = str(unmatched)  # as the trail recorded it (an agent now)
    accounts.make_agents(accounts=[unmatched])
    set_ranking_exclusion(people=[employee], excluded=True, reason="test account", by=manager)
    set_ranking_exclusion(people=[employee], excluded=False, by=manager)
    set_visibility(person=employee, visibility="pseudonym", by=employee.user)
    kept = AwardFactory(person=employee, evidence={"total_tokens": 1500})
    lost = AwardFactory(
        person=employee, revoked_at=timezone.now(), revoked_reason="usage re-attributed"
    )

    page = employee_client.get(f"/people/{employee.public_id}/").content.decode()

    ledger = _ledger(page)
    attribution = " ".join(ledger["attribution"])
    assert f"{given} was given to you" in attribution and "by a manager" in attribution
    assert f"{unmatched_name} is no longer yours" in attribution
    assert "service account" in attribution  # the reason, in words
    ranking = ledger["ranking"]
    assert "counted in ranking again" in ranking[0]  # newest first
    assert "excluded from ranking" in ranking[1] and "test account" in ranking[1]
    assert "under a pseudonym" in ledger["visibility"][0].lower()
    assert "by you" in ledger["visibility"][0]
    badges = " ".join(ledger["badge"])
    assert f"Awarded {kept.badge.name}" in badges and "total_tokens: 1500" in badges
    assert f"{lost.badge.name} (Bronze) for all time was revoked" in badges
    assert "usage re-attributed" in badges


def test_a_long_ledger_shows_the_newest_changes_and_the_rest_on_request(
    employee_client, employee
) -> None:
    """On a phone a year of changes was thousands of pixels before the charts: the newest
    eight show, the rest wait behind a summary (no JavaScript needed)."""
    for n in range(11):
        AwardFactory(person=employee, granted_at=timezone.now() - dt.timedelta(days=n))

    page = employee_client.get(f"/people/{employee.public_id}/").content.decode()

    shown = elements(page, "ol", **{"class": "ledger"})
    assert len(elements(shown[0].html, "li", data_ledger_entry=None)) == 8
    more = elements(page, "details", **{"class": "ledger-more"})
    assert len(more) == 1 and "All 11 changes" in more[0].text
    assert len(elements(more[0].html, "li", data_ledger_entry=None)) == 3


def test_a_badge_says_what_it_is_for_and_its_evidence_in_words(client, employee) -> None:
    """Badges showed a raw "cache_read_share: 0.612247, cache_read: 8369255" and no
    description: now what the badge rewards, and its evidence in words."""
    wizard = BadgeFactory(name="Cache Wizard", description="Half your input from the cache.")
    AwardFactory(
        person=employee,
        badge=wizard,
        evidence={"cache_read_share": "0.612247", "cache_read": 8369255, "input_side": 13669749},
    )
    streak = BadgeFactory(name="Steady Hand")
    AwardFactory(
        person=employee,
        badge=streak,
        evidence={"streak_days": 19, "from": "2026-10-26", "to": "2026-11-13"},
    )
    client.force_login(UserFactory())

    page = client.get(f"/people/{employee.public_id}/").content.decode()

    evidence = [e.text for e in elements(page, "small", **{"class": "evidence"})]
    assert "61.2% cache-read share · 8.4M cache reads · 13.7M input-side tokens" in evidence
    assert "19 days in a row · 2026-10-26 to 2026-11-13" in evidence
    assert "Half your input from the cache." in page
    assert "cache_read_share" not in page


def test_a_re_attribution_shows_on_the_ledger_of_the_person_who_lost_it(
    client, employee, rival, manager
) -> None:
    account = AccountFactory(person=employee)
    accounts.attribute_account(account=account, person=rival, by=manager)
    client.force_login(employee.user)

    page = client.get(f"/people/{employee.public_id}/").content.decode()

    assert f"{account} was taken from you" in " ".join(_ledger(page)["attribution"])


def test_nobody_else_sees_a_persons_ledger(client, employee, rival, manager) -> None:
    rival.user = UserFactory(username="bob")
    rival.save()
    set_ranking_exclusion(people=[employee], excluded=True, reason="test account", by=manager)
    AwardFactory(person=employee)
    path = f"/people/{employee.public_id}/"

    client.force_login(employee.user)
    assert _ledger(client.get(path).content.decode())  # the owner sees it
    for viewer in [rival.user, manager]:  # another employee; a manager on a public page
        client.force_login(viewer)
        page = client.get(path).content.decode()
        assert not _ledger(page) and 'id="ledger"' not in page and "test account" not in page


def test_the_period_choice_names_all_time_in_words(employee_client, seeded_boards, field, rival):
    page = employee_client.get(f"/people/{rival.public_id}/").content.decode()

    (choice,) = elements(page, "select", id="period")
    options = [option.text for option in elements(choice.html, "option")]
    assert "All time" in options
    assert "Alltime" not in options
