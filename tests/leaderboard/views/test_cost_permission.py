"""Seeing cost is a permission (issue 20 §4), separate from seeing boards: with
COST_VISIBLE_TO_ALL off, only users with leaderboard.view_cost (the managers group has it)
see a cost anywhere: board columns, the cost lens and boards ranked by cost, person, team
and agent pages, charts, htmx fragments, the managers' pages and exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.management import call_command

from leaderboard.models import Account
from tests.factories import AccountFactory, AwardFactory, BadgeFactory, UsageFactFactory
from tests.helpers import AUG, HTMX, elements

IN_AUGUST = dt.datetime(2026, 8, 20, 12, tzinfo=dt.UTC)
MONEY = re.compile(r"\$\s?[0-9]")


@pytest.fixture
def priced(settings, employee, rival, usage, seeded_boards, platform) -> Account:
    """Priced usage for two people on one team and an agent; cost visible to managers only."""
    settings.COST_VISIBLE_TO_ALL = False
    settings.TEAM_MIN_SIZE = 2
    for person, tokens in [(employee, 4_000), (rival, 9_000)]:
        usage(person, AUG, input=tokens, cost=Decimal("12.34"))
    bot = AccountFactory(person=None, kind=Account.Kind.AGENT, owner_team=platform)
    UsageFactFactory(account=bot, source=usage.source, day=AUG, cost=Decimal("56.78"))
    frugal = BadgeFactory(
        name="Frugal Finisher",
        title="Frugal Finisher",
        kind="ratio",
        period="month",
        description="At most $0.05 per 1,000 output tokens.",
        params={"metric": "cost_per_1k_output", "direction": "below", "min_volume": 1},
        tiers={"bronze": "0.05"},
    )
    for person in (employee, rival):  # her own page and another's (cached apart)
        AwardFactory(person=person, badge=frugal, evidence={"cost_per_1k_output": "0.0123"})
    AwardFactory(person=rival, badge=BadgeFactory(name="Steady"), evidence={"total_tokens": 9})
    return bot


def walk(client, start: str = "/", limit: int = 80) -> dict[str, str]:
    """Every page of the site reachable by links from start (not the admin, not sign-out),
    by path and query, with its HTML."""
    seen: dict[str, str] = {}
    queue = [start]
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        seen[url] = response.content.decode()
        for link in elements(seen[url], "a", href=None):
            href = (link.attrs["href"] or "").split("#")[0]
            if href.startswith("?"):  # {% querystring %}: this page, other filters
                href = urlsplit(url).path + href
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith("/") or not href:
                continue
            if parts.path.startswith(("/admin", "/accounts", "/static")):
                continue
            if "back=" in parts.query or "present=" in parts.query:
                continue  # the same pages for another period, or under pseudonyms
            queue.append(href)
    return seen


# The formulas and rules on /numbers/ state the company's dollar thresholds (the score's daily
# budget, the gaming rules' minimum spend): policy that everyone may read, not anyone's cost.
POLICY = re.compile(r'<dl class="(?:lenses|rules)">.*?</dl>', re.S)


def without_policy(html: str) -> str:
    return POLICY.sub("", html)


def test_without_the_permission_no_page_the_index_links_shows_a_cost(
    employee_client, priced, seeded_boards, employee, rival
) -> None:
    with time_machine.travel(IN_AUGUST, tick=False):
        pages = walk(employee_client)
        fragment = employee_client.get("/boards/token-volume/?lens=cost", **HTMX)
        spend = employee_client.get("/boards/spend/")
        agent = employee_client.get(f"/agents/{priced.pk}/").content.decode()
    visited = set(pages)
    assert {
        "/",
        "/boards/token-volume/",
        "/agents/",
        "/numbers/",
        f"/people/{employee.public_id}/",
        f"/people/{rival.public_id}/",
    } <= {urlsplit(u).path for u in visited}
    assert "Steady" in pages[f"/people/{rival.public_id}/"]  # other badges stay
    assert any(urlsplit(u).path.startswith("/teams/") for u in visited)
    assert any(urlsplit(u).path.startswith("/agents/") and u != "/agents/" for u in visited)
    for url, html in pages.items():
        assert not MONEY.search(without_policy(html)), url
        assert "Frugal Finisher" not in html and "0.0123" not in html, url  # a badge in money
        assert "chart-cost" not in html, url
        assert 'value="cost"' not in html, url  # no cost lens to choose
    # The cost lens falls back to the board's own; a board ranked by cost is not there.
    assert fragment.status_code == 200 and not MONEY.search(fragment.content.decode())
    assert "<html" not in fragment.content.decode()
    assert spend.status_code == 404 and "/boards/spend/" not in pages["/"]
    assert not MONEY.search(agent)


def test_with_the_permission_a_manager_sees_cost_everywhere(client, manager, priced, rival) -> None:
    client.force_login(manager)
    with time_machine.travel(IN_AUGUST, tick=False):
        rival_page = client.get(f"/people/{rival.public_id}/").content.decode()
        board = client.get("/boards/token-volume/?lens=cost").content.decode()
        spend = client.get("/boards/spend/")
        agents = client.get("/agents/").content.decode()
        managers = client.get("/manage/agents/").content.decode()
    assert "$12.34" in board and 'value="cost"' in board
    assert "Frugal Finisher" in rival_page and "0.0123" in rival_page
    assert spend.status_code == 200 and "$12.34" in spend.content.decode()
    assert "$56.78" in agents and "$56.78" in managers


def test_cost_is_for_everyone_by_default(employee_client, priced, settings, employee) -> None:
    settings.COST_VISIBLE_TO_ALL = True
    with time_machine.travel(IN_AUGUST, tick=False):
        person = employee_client.get(f"/people/{employee.public_id}/").content.decode()
    assert "$12.34" in person and "chart-cost" in person


def export(viewer: str, fmt: str = "csv") -> str:
    out = io.StringIO()
    call_command(
        "export_usage",
        "--start=2026-08-01",
        "--end=2026-08-31",
        f"--viewer={viewer}",
        f"--format={fmt}",
        stdout=out,
    )
    return out.getvalue()


def test_an_export_for_someone_without_the_permission_has_no_cost_columns(
    priced, manager, managers_group, employee
) -> None:
    from django.contrib.auth.models import Permission

    exporter = employee.user
    exporter.user_permissions.add(Permission.objects.get(codename="export_data"))
    plain = list(csv.DictReader(io.StringIO(export(exporter.email))))
    records = json.loads(export(exporter.email, "json"))
    full = list(csv.DictReader(io.StringIO(export(manager.email))))

    assert plain and not {"cost_usd", "cost_estimated", "cost_basis"} & set(plain[0])
    assert "12.34" not in json.dumps(records) and "cost_usd" not in records[0]
    assert {row["cost_usd"] for row in full if row["email"] == employee.email} == {"12.340000"}
