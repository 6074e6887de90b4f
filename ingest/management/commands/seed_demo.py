from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from ingest.models import Provider
from ingest.providers.demo import (
    DEMO_BASE_URLS,
    TELEMETRY_RECEIVER,
    demo_people,
    telemetry_export,
)
from ingest.services.connections import connect_provider
from ingest.services.pulls import pull_connection
from ingest.services.receiver import connect_receiver, fold, receive_metrics
from leaderboard.models import Person
from leaderboard.services.people import (
    add_person,
    ensure_team,
    ensure_user_for_person,
    set_manager,
)

DAYS = 90


class Command(BaseCommand):
    help = (
        "Load the demo company (60 people, 6 teams, 4 vendors, a LiteLLM proxy and a Claude "
        "Code telemetry receiver, 90 days) through ingest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=DAYS)

    def handle(self, *args: object, **options: int) -> None:
        people = demo_people()
        for person in people:
            add_person(
                email=person.email,
                display_name=person.name,
                team=ensure_team(name=person.team),
            )
        # The first demo person manages the leaderboard, so the demo reaches the admin too.
        manager = Person.objects.get(email=people[0].email)
        set_manager(user=ensure_user_for_person(person=manager), manager=True)
        end = timezone.now().date()
        start = end - dt.timedelta(days=options["days"] - 1)
        for name, base_url in DEMO_BASE_URLS.items():
            connection, _ = connect_provider(name=name, provider=Provider.DEMO, base_url=base_url)
            run = pull_connection(connection=connection, start=start, end=end, trigger="demo")
            self.stdout.write(f"{name}: {run.status}, {run.rows} usage rows for {start}..{end}")
        # Claude Code telemetry, through the receiver's own code (the endpoint calls it)
        receiver, _ = connect_receiver(name=TELEMETRY_RECEIVER)
        day = start
        while day <= end:
            receive_metrics(
                connection=receiver,
                body=telemetry_export(day),
                content_type="application/x-protobuf",
            )
            day += dt.timedelta(days=1)
        run = fold(connection=receiver, trigger="demo")
        self.stdout.write(f"{TELEMETRY_RECEIVER}: {run.status}, {run.rows} usage rows received")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(people)} people. Sign in at /accounts/demo/ by picking "
                f"anyone; {people[0].name} is a leaderboard manager (admin)."
            )
        )
