from __future__ import annotations

import datetime as dt
import random

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


class Command(BaseCommand):
    help = (
        "Generate a large organisation's usage (heavy-tailed, quieter weekends) through the "
        "bulk write path ingest uses. Replaces earlier scale data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, default=1000)
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: object, **options: int) -> None:
        rng = random.Random(options["seed"])
        people, days = options["people"], options["days"]
        sources = self._reset(people)
        accounts = self._accounts(rng, people, sources)
        prices = PriceBook(ModelPrice.objects.all())
        # A heavy tail: the top user reaches hundreds of billions of tokens a month.
        weights = {pk: min(rng.paretovariate(1.05), 6000.0) for pk in {a[0] for a in accounts}}
        end = timezone.now().date()
        now = timezone.now()
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
                cache_read = int((tokens - output) * rng.uniform(0.1, 0.8))
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
                rows.append(
                    facts.FactRow(
                        source_id=source_id,
                        day=day,
                        account_id=account_id,
                        model=model,
                        input=plain,
                        cache_read=cache_read,
                        cache_write=cache_write,
                        output=output,
                        requests=max(1, tokens // 50_000),
                        cost=cost,
                        cost_estimated=cost is not None,
                        recorded_at=now,
                    )
                )
            written += facts.upsert(rows)
        self.stdout.write(f"Scale data: {people:,} people, {days} days, {written:,} usage facts.")

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
