from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from ingest.providers.demo import FIRST, LAST
from leaderboard.db import facts
from leaderboard.domain.pricing import PriceBook
from leaderboard.domain.records import UsageRecord
from leaderboard.models import Account, Board, ModelPrice, Person, Source, Team, UsageFact

SOURCES = {
    "scale-openai": ["gpt-5", "gpt-5-mini", "o4-mini"],
    "scale-anthropic": ["claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"],
    "scale-cursor": ["gpt-5", "claude-sonnet-4-5"],
}
TEAM_SIZE = 40

# Planted gaming (issue 20 §2), among the normal people: PER_SHAPE people of each shape,
# spread evenly over the directory (planted_people). Each is active every weekday on one
# source at about 6M tokens a day, and on the days planted_days names (counted back from the
# last day) does this instead:
# - spike: one day of 100x their usual tokens (output in proportion);
# - low_output: three days of 60M input-side tokens and 0.05% as much output;
# - flat_loop: eight weekdays of exactly the same tokens on one model;
# - request_loop: eight weekdays of the same tokens per request, the requests varying;
# - cost_outlier: one day of usual tokens at 20x their list price (a reported cost).
# tests/bench measures recall on these person-days and the share of other days flagged.
SHAPES = ("spike", "low_output", "flat_loop", "request_loop", "cost_outlier")
PER_SHAPE = 3
PLANTED_WEIGHT = 3.0


def planted_people(people: int) -> dict[int, str]:
    """The planted people's directory indexes (person{i}@scale.example.com), with shapes."""
    count = len(SHAPES) * PER_SHAPE
    step = max(1, people // (count + 1))
    return {step * (k + 1): SHAPES[k % len(SHAPES)] for k in range(min(count, people - 1))}


def _weekdays_back(end: dt.date, first_back: int, count: int) -> list[dt.date]:
    found: list[dt.date] = []
    back = first_back
    while len(found) < count:
        day = end - dt.timedelta(days=back)
        if day.weekday() < 5:
            found.append(day)
        back += 1
    return sorted(found)


def planted_days(shape: str, end: dt.date) -> list[dt.date]:
    """The days a planted shape falls on (the bench's ground truth)."""
    if shape == "spike":
        return _weekdays_back(end, 2, 1)
    if shape == "low_output":
        return _weekdays_back(end, 1, 3)
    if shape in ("flat_loop", "request_loop"):
        return _weekdays_back(end, 1, 8)
    return _weekdays_back(end, 3, 1)


class Command(BaseCommand):
    help = (
        "Generate a large organisation's usage (heavy-tailed, quieter weekends) through the "
        "bulk write path ingest uses. Replaces earlier scale data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, default=1000)
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--no-planted", action="store_true", help="no planted gaming (see SHAPES)"
        )

    def handle(self, *args: object, **options: int) -> None:
        rng = random.Random(options["seed"])
        # Requests from a generator of their own: the tokens stay what earlier seeds made.
        per_request = random.Random(options["seed"] + 1)
        people, days = options["people"], options["days"]
        sources = self._reset(people)
        accounts = self._accounts(rng, people, sources)
        prices = PriceBook(ModelPrice.objects.all())
        # A heavy tail: the top user reaches hundreds of billions of tokens a month.
        weights = {pk: min(rng.paretovariate(1.05), 6000.0) for pk in {a[0] for a in accounts}}
        end = timezone.now().date()
        now = timezone.now()
        planted = {} if options["no_planted"] else planted_people(people)
        by_index = self._person_indexes()
        planted_ids = {by_index[i]: shape for i, shape in planted.items()}
        written = 0
        for back in tqdm(range(days), desc="days", unit=" days", disable=None):
            day = end - dt.timedelta(days=back)
            quiet = day.weekday() >= 5
            rows = []
            for person_id, account_id, source_id, models in accounts:
                if rng.random() > (0.12 if quiet else 0.45):
                    continue
                tokens = int(2_000_000 * weights[person_id] * rng.lognormvariate(0, 0.6))
                model = models[int(rng.random() ** 2 * len(models))]
                output = tokens // rng.randint(12, 40)
                cache_share = rng.uniform(0.1, 0.8)
                if person_id in planted_ids:
                    continue  # their usage is planted below (after the same draws)
                rows.append(
                    fact_row(
                        prices,
                        source_id=source_id,
                        day=day,
                        account_id=account_id,
                        model=model,
                        tokens=tokens,
                        output=output,
                        cache_read=int((tokens - output) * cache_share),
                        requests=max(1, tokens // per_request.randint(20_000, 90_000)),
                        now=now,
                    )
                )
            rows += self._planted(day, end, planted_ids, accounts, prices, now)
            written += facts.upsert(rows)
        self.stdout.write(
            f"Scale data: {people:,} people, {days} days, {written:,} usage facts, "
            f"{len(planted)} planted gaming people."
        )

    def _person_indexes(self) -> dict[int, int]:
        emails = Person.objects.filter(email__endswith="@scale.example.com").values_list(
            "pk", "email"
        )
        return {int(email.removeprefix("person").split("@")[0]): pk for pk, email in emails}

    def _planted(
        self,
        day: dt.date,
        end: dt.date,
        planted: dict[int, str],
        accounts: list[tuple[int | None, int, int, list[str]]],
        prices: PriceBook,
        now: dt.datetime,
    ) -> list[facts.FactRow]:
        """The planted people's usage of the day (weekdays; see SHAPES)."""
        if day.weekday() >= 5:
            return []
        first_account: dict[int | None, tuple[int, int, list[str]]] = {}
        for person_id, account_id, source_id, models in accounts:
            first_account.setdefault(person_id, (account_id, source_id, models))
        rows = []
        for person_id, shape in planted.items():
            account_id, source_id, models = first_account[person_id]
            rng = random.Random(f"planted:{person_id}:{day.isoformat()}")
            tokens = int(2_000_000 * PLANTED_WEIGHT * rng.lognormvariate(0, 0.4))
            model, output = models[0], tokens // rng.randint(12, 40)
            requests = max(1, tokens // rng.randint(20_000, 90_000))
            price_factor = Decimal(1)
            if day in planted_days(shape, end):
                if shape == "spike":
                    tokens, output = tokens * 100, output * 100
                elif shape == "low_output":
                    tokens = 60_000_000 + rng.randint(0, 9_000_000)
                    output = tokens // 2000
                elif shape == "flat_loop":
                    tokens, output, requests = 9_876_543, 345_678, 200
                elif shape == "request_loop":
                    requests = rng.randint(100, 400)
                    tokens, output = requests * 31_337, requests * 1_337
                else:
                    price_factor = Decimal(20)
            rows.append(
                fact_row(
                    prices,
                    source_id=source_id,
                    day=day,
                    account_id=account_id,
                    model=model,
                    tokens=tokens,
                    output=output,
                    cache_read=(tokens - output) // 2,
                    requests=requests,
                    now=now,
                    price_factor=price_factor,
                )
            )
        return rows

    def _reset(self, people: int) -> dict[str, Source]:
        with transaction.atomic():
            sources = {
                name: Source.objects.get_or_create(name=name, defaults={"provider": name})[0]
                for name in SOURCES
            }
            UsageFact.objects.filter(source__in=sources.values()).delete()
            Account.objects.filter(provider__in=SOURCES).delete()
            Person.objects.filter(email__endswith="@scale.example.com").delete()
            Team.objects.filter(name__startswith="Scale team ").delete()
            teams = Team.objects.bulk_create(
                [Team(name=f"Scale team {i:05d}") for i in range(max(1, people // TEAM_SIZE))]
            )
            Person.objects.bulk_create(
                [
                    Person(
                        email=f"person{i}@scale.example.com",
                        display_name=f"{FIRST[i % len(FIRST)]} "
                        f"{LAST[(i // len(FIRST)) % len(LAST)]} {i}",
                        team=teams[i % len(teams)],
                    )
                    for i in range(people)
                ],
                batch_size=5000,
            )
            # Beside the seeded monthly and weekly boards, one over all time.
            Board.objects.get_or_create(
                slug="hall-of-fame",
                defaults={
                    "name": "Hall of fame",
                    "metric": Board.Lens.TOTAL_TOKENS,
                    "period": Board.Period.ALL_TIME,
                    "position": 9,
                    "description": "Total tokens over all recorded history.",
                },
            )
        return sources

    def _accounts(
        self, rng: random.Random, people: int, sources: dict[str, Source]
    ) -> list[tuple[int | None, int, int, list[str]]]:
        person_ids = list(
            Person.objects.filter(email__endswith="@scale.example.com").values_list("pk", flat=True)
        )
        new = []
        for pk in person_ids:
            for name in rng.sample(list(SOURCES), rng.randint(1, 3)):
                new.append(
                    Account(
                        provider=name,
                        external_id=f"p{pk}",
                        person_id=pk,
                        email="",
                        matched_by=Account.MatchedBy.EMAIL,
                    )
                )
        Account.objects.bulk_create(new, batch_size=5000)
        by_name = {s.name: s for s in sources.values()}
        return [
            (a.person_id, a.pk, by_name[a.provider].pk, SOURCES[a.provider])
            for a in Account.objects.filter(provider__in=SOURCES)
        ]


def fact_row(
    prices: PriceBook,
    *,
    source_id: int,
    day: dt.date,
    account_id: int,
    model: str,
    tokens: int,
    output: int,
    cache_read: int,
    requests: int,
    now: dt.datetime,
    price_factor: Decimal = Decimal(1),
) -> facts.FactRow:
    """A day's usage of tokens in all, of which output and cache reads as given, a tenth of
    the rest cache writes, priced at list prices (times price_factor: a planted overpayer's
    bill, then no longer an estimate)."""
    cache_write = (tokens - output - cache_read) // 10
    plain = tokens - output - cache_read - cache_write
    cost = prices.estimate(
        UsageRecord(
            day=day,
            account="",
            model=model,
            input=plain,
            cache_read=cache_read,
            cache_write=cache_write,
            output=output,
        )
    )
    if cost is not None and price_factor != 1:
        cost = (cost * price_factor).quantize(Decimal("0.000001"))
    return facts.FactRow(
        source_id=source_id,
        day=day,
        account_id=account_id,
        model=model,
        input=plain,
        cache_read=cache_read,
        cache_write=cache_write,
        output=output,
        requests=requests,
        cost=cost,
        cost_estimated=cost is not None and price_factor == 1,
        recorded_at=now,
    )
