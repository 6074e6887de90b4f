"""Every shown cost says where it comes from: billed, ≈ estimated, ≥ partly priced, or n/a
when not priced (never $0.00). How pages show it: tests/leaderboard/views/ (the person's
totals, the pinned row, unattributed usage)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from leaderboard.domain.periods import period_of
from leaderboard.domain.pricing import BILLED, ESTIMATED, NOT_PRICED, PARTIAL, cost_basis
from leaderboard.selectors import history
from leaderboard.selectors.usage import usage_totals
from leaderboard.templatetags.tokenboard import cost
from tests.helpers import AUG

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


def test_person_totals_are_billed_only_when_every_fact_was(alice, usage) -> None:
    usage(alice, AUG, input=10, cost=Decimal("2"))
    august = period_of("month", AUG)

    assert history.totals(people=[alice.pk], period=august)["cost_basis"] == BILLED
    usage(alice, AUG4, model="claude-x", input=10, cost=Decimal("1"), cost_estimated=True)
    assert history.totals(people=[alice.pk], period=august)["cost_basis"] == ESTIMATED


def test_export_rows_carry_their_cost_basis(alice, bob, usage) -> None:
    usage(alice, AUG, input=10, cost=Decimal("2"))
    usage(bob, AUG, input=10, cost=Decimal("1"), cost_estimated=True)
    usage(bob, AUG4, model="mystery-model", input=10)

    rows = {r.email: r for r in usage_totals(start=AUG, end=AUG4, by_source=False)}

    assert (rows[alice.email].cost_usd, rows[alice.email].cost_basis) == (Decimal(2), BILLED)
    assert (rows[bob.email].cost_usd, rows[bob.email].cost_basis) == (Decimal(1), PARTIAL)
