"""The score lens (issue 20 §3): output and active days count, efficiency multiplies, points
taper past a daily budget, so spending alone scores next to nothing; the number is the same
whether a board reads the facts (any days) or the usage months (whole months)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal

from django.db import connection

from leaderboard.db import metrics
from leaderboard.db.rankings import RANKED_COLUMNS, ranking_sql
from leaderboard.domain.periods import Scope, period_of
from leaderboard.models import Board
from tests.factories import AccountFactory, PersonFactory, SourceFactory, UsageFactFactory
from tests.helpers import AUG, elements

SCORE = Board.Lens.SCORE


def scores(scope: Scope, *, from_facts: bool) -> dict[int, Decimal]:
    sql, params = ranking_sql(scope, from_facts=from_facts)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(RANKED_COLUMNS)} FROM ({sql}) r", params)  # noqa: S608
        return {row[0]: row[5] for row in cursor.fetchall()}


def use(person, days: int, *, output: int, input: int, cost: str | None, cache_read: int = 0):
    account = AccountFactory(person=person)
    source = SourceFactory()
    for d in range(days):
        UsageFactFactory(
            account=account,
            source=source,
            day=AUG + dt.timedelta(days=d),
            output=output,
            input=input,
            cache_read=cache_read,
            cost=None if cost is None else Decimal(cost),
        )


def expected(output: int, cost: Decimal | None, days: int, cache_read: int, input_side: int):
    """The formula on /numbers/, in Python's Decimal."""
    budget = Decimal(metrics.SCORE_DAILY_BUDGET * days)
    credited = Decimal(output) / 1000
    if cost is not None and cost > budget:
        credited *= budget * (1 + (cost / budget).ln()) / cost
    efficiency = Decimal(1)
    if cost and Decimal(output) / cost < metrics.SCORE_REFERENCE_OUTPUT_PER_USD:
        efficiency = Decimal(output) / cost / metrics.SCORE_REFERENCE_OUTPUT_PER_USD
    bonus = Decimal(1)
    if input_side >= metrics.SCORE_CACHE_MIN_VOLUME:
        bonus += Decimal(cache_read) / input_side
    raw = (credited + metrics.SCORE_POINTS_PER_DAY * days) * efficiency * bonus
    return raw.quantize(Decimal("0.01"), ROUND_HALF_EVEN)


def month(kind: str = Board.Period.MONTH) -> Scope:
    return Scope(lens=SCORE, period=period_of(kind, AUG))


def test_the_score_is_the_formula_of_the_numbers_page(db) -> None:
    # over the budget, efficient, with a cache bonus: every factor at work
    heavy = PersonFactory()
    use(heavy, 10, output=3_000_000, input=900_000, cache_read=600_000, cost="100")
    plain = PersonFactory()  # within budget, no cache bonus (under the minimum volume)
    use(plain, 4, output=50_000, input=100_000, cost="2.5")
    unpriced = PersonFactory()
    use(unpriced, 2, output=10_000, input=20_000, cost=None)

    found = scores(month(), from_facts=True)

    assert found[heavy.pk] == expected(30_000_000, Decimal(1000), 10, 6_000_000, 15_000_000)
    assert found[plain.pk] == expected(200_000, Decimal(10), 4, 0, 400_000)
    assert found[unpriced.pk] == Decimal("120.00")  # 20 + 2 days x 50: nothing to judge spend by


def test_doubling_spend_with_no_more_output_gains_nothing(db) -> None:
    base, doubled, quadrupled = PersonFactory(), PersonFactory(), PersonFactory()
    use(base, 5, output=1_000_000, input=2_000_000, cost="60")
    use(doubled, 5, output=1_000_000, input=4_000_000, cost="120")
    use(quadrupled, 5, output=1_000_000, input=8_000_000, cost="240")

    found = scores(month(), from_facts=True)

    assert found[base.pk] > found[doubled.pk] > found[quadrupled.pk]


def test_past_the_budget_points_taper(db) -> None:
    """Twice the output at the same output per dollar, past the budget: more points, but
    far fewer than twice as many."""
    one, two = PersonFactory(), PersonFactory()
    use(one, 2, output=2_000_000, input=10_000_000, cost="200")
    use(two, 2, output=4_000_000, input=20_000_000, cost="400")

    found = scores(month(), from_facts=True)

    assert found[one.pk] < found[two.pk] < found[one.pk] * Decimal("1.5")


def test_a_burner_scores_below_everyone_who_works(db) -> None:
    burner = PersonFactory()
    use(burner, 20, output=500, input=50_000_000, cost="600")
    workers = [PersonFactory() for _ in range(3)]
    for n, person in enumerate(workers, start=1):
        use(person, 3 * n, output=200_000 * n, input=2_000_000, cost=str(10 * n))

    found = scores(month(), from_facts=True)

    assert found[burner.pk] < min(found[p.pk] for p in workers)
    assert found[burner.pk] < 1  # 20 active days and $12,000 spent buy nothing


def test_a_board_over_days_and_one_over_months_score_alike(postgres) -> None:
    people = [PersonFactory() for _ in range(4)]
    use(people[0], 31, output=900_000, input=3_000_000, cache_read=2_000_000, cost="75.123457")
    use(people[1], 12, output=40_000, input=9_000_000, cost="333.333333")
    use(people[2], 5, output=123_457, input=654_321, cost=None)
    use(people[3], 45, output=77_777, input=1_000_001, cache_read=999_999, cost="0.000001")

    for kind in (Board.Period.MONTH, Board.Period.QUARTER, Board.Period.ALL_TIME):
        from_months = ranking_sql(month(kind))
        assert "usagemonth" in from_months[0]
        by_months = scores(month(kind), from_facts=False)
        by_facts = scores(month(kind), from_facts=True)
        assert by_months == by_facts, kind
        assert len(by_facts) == 4
    # Two months over the facts (a custom range of days) is the same sum as over months.
    assert scores(month(Board.Period.QUARTER), from_facts=True)[people[3].pk] == expected(
        77_777 * 45, Decimal("0.000045"), 45, 999_999 * 45, (1_000_001 + 999_999) * 45
    )


def test_a_new_board_ranks_by_score_and_old_ones_keep_their_lens(db) -> None:
    assert Board.objects.create(name="New", slug="new").metric == SCORE
    assert Board.objects.filter(metric=Board.Lens.TOTAL_TOKENS).exists()  # seeded, unchanged


def test_the_admin_offers_score_as_a_new_board_s_lens(admin_client, seeded_boards) -> None:
    added = admin_client.get("/admin/leaderboard/board/add/").content.decode()

    def lens(page: str) -> str | None:
        (field,) = elements(page, "select", name="metric")
        (chosen,) = elements(field.html, "option", selected=None)
        return chosen.attrs["value"]

    assert lens(added) == SCORE
    volume = seeded_boards["token-volume"]
    changed = admin_client.get(f"/admin/leaderboard/board/{volume.pk}/change/").content.decode()
    assert lens(changed) == Board.Lens.TOTAL_TOKENS  # an existing board keeps its lens
