from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.test import override_settings

from leaderboard import selectors, services
from leaderboard.models import Account, ModelPrice, Person, UsageFact
from leaderboard.records import MAX_COUNT, UNATTRIBUTED, AccountRecord, UsageRecord
from tests.factories import PersonFactory, SourceFactory

DAY = dt.date(2026, 8, 3)


def test_person_email_is_unique_whatever_its_case(db) -> None:
    PersonFactory(email="ada@example.com")
    with pytest.raises(IntegrityError):
        PersonFactory(email="ADA@example.com")


def test_accounts_match_people_by_trimmed_case_insensitive_email(alice) -> None:
    services.sync_accounts(
        provider="openai",
        records=[AccountRecord("user-1", email="  Alice.Nguyen@EXAMPLE.com ", name="Alice N")],
    )

    account = Account.objects.get(external_id="user-1")
    assert account.person == alice
    assert account.matched_by == Account.MatchedBy.EMAIL
    assert Person.objects.count() == 1


def test_accounts_with_a_new_email_create_the_person(db) -> None:
    services.sync_accounts(
        provider="openai",
        records=[AccountRecord("user-1", email="new.hire@example.com", name="New Hire")],
    )

    person = Account.objects.get(external_id="user-1").person
    assert (person.email, person.display_name) == ("new.hire@example.com", "New Hire")


LOOK_ALIKE = "Ada\u200b Alv\u202earez\u2066"  # a zero-width space, an override, an isolate


def test_provider_names_are_stored_without_invisible_or_direction_characters(db) -> None:
    services.sync_accounts(
        provider="openai",
        records=[AccountRecord("user-1", email="ada@example.com", name=LOOK_ALIKE)],
    )
    services.sync_accounts(
        provider="anthropic",
        records=[AccountRecord("user-2", email="ada2@example.com", name="Ada\u200f\u200f")],
    )

    account = Account.objects.get(external_id="user-1")
    assert (account.name, account.person.display_name) == ("Ada Alvarez", "Ada Alvarez")
    assert Account.objects.get(external_id="user-2").person.display_name == "Ada"


def test_people_and_teams_added_by_hand_or_command_are_clean_text(db) -> None:
    platform = services.ensure_team(name="Platform")

    again = services.ensure_team(name="\u200bPlat\u200dform\u202c")
    person = services.add_person(email="ada@example.com", display_name=LOOK_ALIKE, team=again)

    assert again == platform  # no look-alike second team
    assert person.display_name == "Ada Alvarez"
    assert services.add_person(email="ada@example.com", display_name="\u200b").display_name == (
        "Ada Alvarez"  # a name of nothing visible changes nothing
    )


@override_settings(AUTO_CREATE_PEOPLE=False)
def test_accounts_stay_unmatched_until_the_person_is_added(db) -> None:
    services.sync_accounts(
        provider="openai", records=[AccountRecord("user-1", email="new.hire@example.com")]
    )
    assert Account.objects.get().person is None

    person = services.add_person(email="New.Hire@example.com", display_name="New Hire")

    assert Account.objects.get().person == person


def test_record_usage_sums_records_that_share_a_key(db) -> None:
    source = SourceFactory()
    local = UsageRecord(
        day=DAY, account="u1", model="m", input=2**31, output=5, requests=1, cost=Decimal("0.10")
    )
    remote = UsageRecord(
        day=DAY, account="u1", model="m", input=2**31, output=7, requests=2, cost=Decimal("0.15")
    )

    services.record_usage(source=source, records=[local, remote])

    fact = UsageFact.objects.get()
    assert (fact.input, fact.output, fact.requests) == (2**32, 12, 3)
    assert fact.cost == Decimal("0.25")
    assert not fact.cost_estimated


def test_record_usage_prices_dated_snapshots_as_their_model(db) -> None:
    source = SourceFactory()
    services.record_usage(
        source=source,
        records=[
            UsageRecord(day=DAY, account="u1", model=model, input=1_000_000, output=1_000_000)
            for model in [
                "gpt-5-mini-2025-08-07",
                "claude-sonnet-4-5-20250929",
                "claude-opus-4-9",
                "mystery-model",
            ]
        ],
    )

    for model, listed in [
        ("gpt-5-mini-2025-08-07", "gpt-5-mini"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
    ]:
        fact, price = UsageFact.objects.get(model=model), ModelPrice.objects.get(model=listed)
        assert fact.cost == price.input_per_million + price.output_per_million
        assert fact.cost_estimated
    # a newer version is not priced as an older one (claude-opus-4 is listed)
    assert selectors.unpriced_models() == ["claude-opus-4-9", "mystery-model"]


def test_unattributed_usage_can_never_be_given_to_a_person(alice) -> None:
    services.record_usage(
        source=SourceFactory(),
        records=[UsageRecord(day=DAY, account=UNATTRIBUTED, model="m", input=10)],
    )
    account = Account.objects.get()

    with pytest.raises(services.AttributionError):
        services.attribute_account(account=account, person=alice)
    with pytest.raises(IntegrityError):
        Account.objects.filter(pk=account.pk).update(person=alice)


def test_record_usage_refuses_a_fact_above_the_count_limit_whoever_writes_it(db) -> None:
    source = SourceFactory()
    half = UsageRecord(day=DAY, account="u1", model="m", output=MAX_COUNT // 2 + 1)

    with pytest.raises(services.UsageOutOfRange, match="above the limit of 10,000,000,000,000"):
        services.record_usage(source=source, records=[half, half])

    assert not UsageFact.objects.exists()
