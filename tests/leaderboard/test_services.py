from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.test import override_settings

from leaderboard.domain.records import MAX_COUNT, UNATTRIBUTED, AccountRecord, UsageRecord
from leaderboard.models import Account, ModelPrice, Person, UsageFact
from leaderboard.selectors import usage as selector_usage
from leaderboard.services import accounts, people, usage
from tests.factories import PersonFactory, SourceFactory

DAY = dt.date(2026, 8, 3)


def test_pseudonyms_are_stable_and_differ_between_people(db) -> None:
    people = [PersonFactory() for _ in range(20)]

    again = [Person.objects.get(pk=p.pk).pseudonym for p in people]

    assert again == [p.pseudonym for p in people]
    assert len(set(again)) > 1


def test_person_email_is_unique_whatever_its_case(db) -> None:
    PersonFactory(email="ada@example.com")
    with pytest.raises(IntegrityError):
        PersonFactory(email="ADA@example.com")


def test_accounts_match_people_by_trimmed_case_insensitive_email(alice) -> None:
    accounts.sync_accounts(
        provider="openai",
        records=[AccountRecord("user-1", email="  Alice.Nguyen@EXAMPLE.com ", name="Alice N")],
    )

    account = Account.objects.get(external_id="user-1")
    assert account.person == alice
    assert account.matched_by == Account.MatchedBy.EMAIL
    assert Person.objects.count() == 1


def test_accounts_with_a_new_email_create_the_person(db) -> None:
    accounts.sync_accounts(
        provider="openai",
        records=[AccountRecord("user-1", email="new.hire@example.com", name="New Hire")],
    )

    person = Account.objects.get(external_id="user-1").person
    assert (person.email, person.display_name) == ("new.hire@example.com", "New Hire")


LOOK_ALIKE = "Ada\u200b Alv\u202earez\u2066"  # a zero-width space, an override, an isolate


def test_provider_names_are_stored_without_invisible_or_direction_characters(db) -> None:
    accounts.sync_accounts(
        provider="openai",
        records=[AccountRecord("user-1", email="ada@example.com", name=LOOK_ALIKE)],
    )
    accounts.sync_accounts(
        provider="anthropic",
        records=[AccountRecord("user-2", email="ada2@example.com", name="Ada\u200f\u200f")],
    )

    account = Account.objects.get(external_id="user-1")
    assert (account.name, account.person.display_name) == ("Ada Alvarez", "Ada Alvarez")
    assert Account.objects.get(external_id="user-2").person.display_name == "Ada"


def test_people_and_teams_added_by_hand_or_command_are_clean_text(db) -> None:
    platform = people.ensure_team(name="Platform")

    again = people.ensure_team(name="\u200bPlat\u200dform\u202c")
    person = people.add_person(email="ada@example.com", display_name=LOOK_ALIKE, team=again)

    assert again == platform  # no look-alike second team
    assert person.display_name == "Ada Alvarez"
    assert people.add_person(email="ada@example.com", display_name="\u200b").display_name == (
        "Ada Alvarez"  # a name of nothing visible changes nothing
    )


@override_settings(AUTO_CREATE_PEOPLE=False)
def test_accounts_stay_unmatched_until_the_person_is_added(db) -> None:
    accounts.sync_accounts(
        provider="openai", records=[AccountRecord("user-1", email="new.hire@example.com")]
    )
    assert Account.objects.get().person is None

    person = people.add_person(email="New.Hire@example.com", display_name="New Hire")

    assert Account.objects.get().person == person


def test_record_usage_sums_records_that_share_a_key(db) -> None:
    source = SourceFactory()
    local = UsageRecord(
        day=DAY, account="u1", model="m", input=2**31, output=5, requests=1, cost=Decimal("0.10")
    )
    remote = UsageRecord(
        day=DAY, account="u1", model="m", input=2**31, output=7, requests=2, cost=Decimal("0.15")
    )

    usage.record_usage(source=source, records=[local, remote])

    fact = UsageFact.objects.get()
    assert (fact.input, fact.output, fact.requests) == (2**32, 12, 3)
    assert fact.cost == Decimal("0.25")
    assert not fact.cost_estimated


def test_record_usage_prices_dated_snapshots_as_their_model(db) -> None:
    source = SourceFactory()
    usage.record_usage(
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
    assert selector_usage.unpriced_models() == ["claude-opus-4-9", "mystery-model"]


def test_unattributed_usage_can_never_be_given_to_a_person(alice) -> None:
    usage.record_usage(
        source=SourceFactory(),
        records=[UsageRecord(day=DAY, account=UNATTRIBUTED, model="m", input=10)],
    )
    account = Account.objects.get()

    with pytest.raises(accounts.AttributionError):
        accounts.attribute_account(account=account, person=alice)
    with pytest.raises(IntegrityError):
        Account.objects.filter(pk=account.pk).update(person=alice)


def test_record_usage_refuses_a_fact_above_the_count_limit_whoever_writes_it(db) -> None:
    source = SourceFactory()
    half = UsageRecord(day=DAY, account="u1", model="m", output=MAX_COUNT // 2 + 1)

    with pytest.raises(usage.UsageOutOfRange, match="above the limit of 10,000,000,000,000"):
        usage.record_usage(source=source, records=[half, half])

    assert not UsageFact.objects.exists()


def test_an_agent_can_never_be_given_to_a_person(alice) -> None:
    accounts.sync_accounts(
        provider="anthropic",
        records=[AccountRecord("svac_1", kind="agent", owner_email="Alice.Nguyen@Example.com")],
    )
    agent = Account.objects.get()

    assert (agent.person, agent.owner_email) == (None, "alice.nguyen@example.com")
    with pytest.raises(accounts.AttributionError, match="never credited to a person"):
        accounts.attribute_account(account=agent, person=alice)
    with pytest.raises(IntegrityError):
        Account.objects.filter(pk=agent.pk).update(person=alice)


def test_an_agent_with_an_email_is_never_matched_to_that_person(alice) -> None:
    accounts.sync_accounts(
        provider="openai",
        records=[AccountRecord("user-bot", email="alice.nguyen@example.com", kind="agent")],
    )

    assert Account.objects.get().person is None


def test_usage_that_says_its_account_is_an_agent_takes_it_from_its_person(alice) -> None:
    accounts.sync_accounts(
        provider="openai", records=[AccountRecord("user-1", email="alice.nguyen@example.com")]
    )
    assert Account.objects.get().person == alice

    usage.record_usage(
        source=SourceFactory(provider="openai"),
        records=[UsageRecord(day=DAY, account="user-1", model="m", input=10, account_kind="agent")],
    )

    account = Account.objects.get()
    assert (account.kind, account.person, account.matched_by) == (Account.Kind.AGENT, None, "")
    assert selector_usage.usage_totals(start=DAY, end=DAY, by_source=False)[0].email == ""


def new_price(model: str, effective_from: dt.date, input_per_million: str) -> ModelPrice:
    return ModelPrice.objects.create(
        model=model,
        effective_from=effective_from,
        input_per_million=Decimal(input_per_million),
        cached_input_per_million=Decimal(0),
        cache_write_per_million=Decimal(0),
        output_per_million=Decimal(0),
        batch_multiplier=Decimal("0.5"),
    )


def million_on(day: dt.date, tokens: int = 1_000_000, **dimensions) -> UsageRecord:
    return UsageRecord(day=day, account="u1", model="house-model", input=tokens, **dimensions)


def stored_costs() -> dict[dt.date, tuple[Decimal | None, bool]]:
    return {f.day: (f.cost, f.cost_estimated) for f in UsageFact.objects.all()}


AUG4, AUG5 = DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2)


def test_record_usage_prices_each_fact_at_the_price_effective_on_its_day(db) -> None:
    new_price("house-model", dt.date(2020, 1, 1), "2")
    new_price("house-model", AUG4, "3")  # a price change from Aug 4

    usage.record_usage(
        source=SourceFactory(), records=[million_on(DAY), million_on(AUG4), million_on(AUG5)]
    )

    assert stored_costs() == {
        DAY: (Decimal(2), True),
        AUG4: (Decimal(3), True),
        AUG5: (Decimal(3), True),
    }


def test_a_price_change_reprices_no_fact_a_re_pull_finds_unchanged(db) -> None:
    source = SourceFactory()
    new_price("house-model", dt.date(2020, 1, 1), "2")
    usage.record_usage(source=source, records=[million_on(DAY), million_on(AUG5)])

    new_price("house-model", AUG4, "3")  # entered on Aug 6, from Aug 4
    usage.record_usage(
        source=source, records=[million_on(DAY), million_on(AUG5)], keep_unchanged=True
    )
    assert stored_costs() == {DAY: (Decimal(2), True), AUG5: (Decimal(2), True)}

    # a fact that changed is priced again, at the price of its own day
    usage.record_usage(
        source=source,
        records=[million_on(DAY, 2_000_000), million_on(AUG5, 2_000_000)],
        keep_unchanged=True,
    )
    assert stored_costs() == {DAY: (Decimal(4), True), AUG5: (Decimal(6), True)}


def test_a_re_pull_prices_a_fact_whose_model_has_a_price_now(db) -> None:
    source = SourceFactory()
    usage.record_usage(source=source, records=[million_on(DAY)])
    assert stored_costs() == {DAY: (None, False)}

    new_price("house-model", dt.date(2020, 1, 1), "2")
    usage.record_usage(source=source, records=[million_on(DAY)], keep_unchanged=True)

    assert stored_costs() == {DAY: (Decimal(2), True)}


def test_record_usage_prices_each_tier_before_summing_a_fact(db) -> None:
    new_price("house-model", dt.date(2020, 1, 1), "2")

    usage.record_usage(
        source=SourceFactory(),
        records=[million_on(DAY), million_on(DAY, service_tier="batch")],
    )

    fact = UsageFact.objects.get()
    assert (fact.input, fact.cost, fact.cost_estimated) == (2_000_000, Decimal(3), True)


def test_a_fact_with_a_part_that_cannot_be_priced_has_no_cost(db) -> None:
    new_price("house-model", dt.date(2020, 1, 1), "2")

    usage.record_usage(
        source=SourceFactory(),
        records=[million_on(DAY), million_on(DAY, service_tier="priority")],  # no priority rate
    )

    assert stored_costs() == {DAY: (None, False)}  # not a partial sum, and never zero


def test_a_reported_cost_is_kept_as_billed_beside_a_price(db) -> None:
    new_price("house-model", dt.date(2020, 1, 1), "2")

    usage.record_usage(
        source=SourceFactory(),
        records=[UsageRecord(day=DAY, account="u1", model="house-model", cost=Decimal("1.5"))],
    )

    assert stored_costs() == {DAY: (Decimal("1.5"), False)}


def test_the_seeded_2026_prices_bill_openai_cache_writes_from_gpt_5_6(db) -> None:
    """Seeded by migration 0022 from the prompt-caching guide: "For GPT-5.6 models and later
    model families, cache writes cost 1.25x the uncached input token rate."""
    sol, gpt5 = ModelPrice.objects.get(model="gpt-5.6-sol"), ModelPrice.objects.get(model="gpt-5")

    assert sol.cache_write_per_million == sol.input_per_million * Decimal("1.25")
    assert gpt5.cache_write_per_million == gpt5.input_per_million
    assert sol.source_url.startswith("https://developers.openai.com/")
    assert sol.source_date is not None
    opus = ModelPrice.objects.get(model="claude-opus-4-6")
    assert (opus.cache_write_1h_per_million, opus.regional_multiplier, opus.confirmed) == (
        Decimal(10),
        Decimal("1.1"),
        True,
    )
    assert not ModelPrice.objects.filter(model="claude-opus-4-5").get().regional_multiplier
