from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from leaderboard.models import Account, Person, Source, Team, UsageFact, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("unused-password-1")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Team {n}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Sequence(lambda n: f"Person {n}")


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"source-{n}")
    provider = "openai"


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    provider = "openai"
    external_id = factory.Sequence(lambda n: f"user-{n}")
    person = factory.SubFactory(PersonFactory)
    email = factory.LazyAttribute(lambda a: a.person.email if a.person else "")


class UsageFactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UsageFact

    source = factory.SubFactory(SourceFactory)
    account = factory.SubFactory(AccountFactory)
    day = factory.LazyFunction(lambda: timezone.now().date())
    model = "gpt-5"
    input = 1000
    output = 100
    recorded_at = factory.LazyFunction(timezone.now)


def days_ago(n: int) -> dt.date:
    return timezone.now().date() - dt.timedelta(days=n)


class BadgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "badges.Badge"

    slug = factory.Sequence(lambda n: f"badge-{n}")
    name = factory.Sequence(lambda n: f"Badge {n}")
    description = "A test badge."
    icon = "*"
    group = "Test"
    kind = "threshold"
    params = factory.LazyFunction(lambda: {"metric": "total_tokens"})
    tiers = factory.LazyFunction(lambda: {"bronze": 100, "gold": 1000})
    period = "all_time"
    policy = "permanent"
    enabled = True


class AwardFactory(factory.django.DjangoModelFactory):
    """A new all-time award, not yet noticed by its holder."""

    class Meta:
        model = "badges.Award"

    person = factory.SubFactory(PersonFactory)
    badge = factory.SubFactory(BadgeFactory)
    tier = "bronze"
    period_start = dt.date(1, 1, 1)
    period_end = dt.date(9999, 12, 31)
    granted_at = factory.LazyFunction(timezone.now)
    tiers_reached = factory.LazyAttribute(lambda a: {a.tier: a.granted_at.isoformat()})
