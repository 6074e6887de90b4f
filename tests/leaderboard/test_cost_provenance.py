"""Every shown cost says where it comes from: billed, ≈ estimated, ≥ partly priced, or n/a
when not priced (never $0.00)."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest

from leaderboard.domain.periods import period_of
from leaderboard.domain.pricing import BILLED, ESTIMATED, NOT_PRICED, PARTIAL, cost_basis
from leaderboard.selectors import history
from leaderboard.selectors.usage import usage_totals
from leaderboard.templatetags.tokenboard import cost
from tests.factories import AccountFactory, PersonFactory, UsageFactFactory, UserFactory

from .conftest import AUG

AUG4 = AUG + dt.timedelta(days=1)


def test_cost_basis_of_a_sum_of_facts() -> None:
    assert cost_basis(cost=Decimal(1), estimated=False) == BILLED
    assert cost_basis(cost=Decimal(1), estimated=True) == ESTIMATED
    assert cost_basis(cost=Decimal(1), estimated=False, unpriced=1) == PARTIAL
    assert cost_basis(cost=None, estimated=False, unpriced=3) == NOT_PRICED


def test_cost_filter_marks_each_basis() -> None:
    assert cost(Decimal("1.5")) == "$1.50"
    assert cost(Decimal("1.5"), False) == "$1.50"
    assert cost(Decimal("1.5"), True) == '<abbr title="Estimated from list prices">≈</abbr> $1.50'
    assert cost(Decimal("1.5"), ESTIMATED).startswith('<abbr title="Estimated')
    assert "≥</abbr> $1.50" in cost(Decimal("1.5"), PARTIAL)
    assert ">n/a</abbr>" in cost(None, ESTIMATED)
    assert "$0" not in cost(None)


@pytest.fixture
def employee(client, alice):
    client.force_login(alice.user)
    return client


def totals_cost(page: str) -> str:
    return page.split("<dt>Cost</dt><dd>", 1)[1].split("</dd>", 1)[0]


def test_person_page_marks_estimated_partial_and_unpriced_totals(
    employee, alice, usage, seeded_boards
) -> None:
    url = f"/people/{alice.public_id}/"
    usage(alice, AUG4, model="mystery-model", input=10)  # no cost, no price
    assert ">n/a</abbr>" in totals_cost(employee.get(url).content.decode())

    usage(alice, AUG, input=4_000, cost=Decimal("1.25"), cost_estimated=True)
    page = employee.get(url).content.decode()

    assert "≥</abbr> $1.25" in totals_cost(page)
    chart = json.loads(re.search(r'id="chart-cost"[^>]*>(.*?)</script>', page).group(1))
    assert chart["data"][0]["x"] == [AUG.isoformat()]  # no $0 bar for the unpriced day


def test_person_totals_are_billed_only_when_every_fact_was(alice, usage) -> None:
    usage(alice, AUG, input=10, cost=Decimal("2"))
    august = period_of("month", AUG)

    assert history.totals(people=[alice.pk], period=august)["cost_basis"] == BILLED
    usage(alice, AUG4, model="claude-x", input=10, cost=Decimal("1"), cost_estimated=True)
    assert history.totals(people=[alice.pk], period=august)["cost_basis"] == ESTIMATED


def test_my_pinned_row_marks_an_estimated_cost(employee, volume, usage, alice) -> None:
    for n in range(59):
        usage(PersonFactory(display_name=f"P{n:02d}"), AUG, input=10_000 + n)
    usage(alice, AUG, input=1, cost=Decimal("0.50"), cost_estimated=True)

    page = employee.get("/boards/token-volume/").content.decode()

    pinned = page.split("<tfoot>", 1)[1]
    assert '<abbr title="Estimated from list prices">≈</abbr> $0.50' in pinned


def test_unattributed_page_shows_unpriced_usage_as_not_priced(client, usage, seeded_boards):
    UsageFactFactory(
        account=AccountFactory(person=None, external_id="key-x"),
        source=usage.source,
        day=AUG,
        model="mystery-model",
        input=1_500_000,
    )
    client.force_login(UserFactory(username="boss", is_staff=True))

    page = client.get("/manage/unattributed/").content.decode()

    row = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert ">n/a</abbr>" in row and "$0.00" not in row


def test_export_rows_carry_their_cost_basis(alice, bob, usage) -> None:
    usage(alice, AUG, input=10, cost=Decimal("2"))
    usage(bob, AUG, input=10, cost=Decimal("1"), cost_estimated=True)
    usage(bob, AUG4, model="mystery-model", input=10)

    rows = {r.email: r for r in usage_totals(start=AUG, end=AUG4, by_source=False)}

    assert (rows[alice.email].cost_usd, rows[alice.email].cost_basis) == (Decimal(2), BILLED)
    assert (rows[bob.email].cost_usd, rows[bob.email].cost_basis) == (Decimal(1), PARTIAL)
