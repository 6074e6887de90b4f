"""The default catalogue's badges follow their data (badges migration 0011): sources report a
settled period at different times, and usage can be held or given to an agent later, so an
award made on part of a period's data is withdrawn when the whole no longer earns it."""

from __future__ import annotations

import datetime as dt

from badges import services
from badges.models import Award
from tests.factories import SourceFactory

MONDAY, SUNDAY = dt.date(2026, 8, 10), dt.date(2026, 8, 16)
LATER = dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC)  # the week has long settled


def wizard(person) -> Award | None:
    return Award.objects.filter(
        person=person, badge__slug="cache-wizard", revoked_at__isnull=True
    ).first()


def test_cache_wizard_won_on_one_sources_data_goes_when_another_lowers_the_weeks_share(
    catalogue, usage, employee
) -> None:
    # The first source reports the week: 60% of 2M input-side tokens were cache reads.
    usage(employee, MONDAY, input=800_000, cache_read=1_200_000, output=150_000)
    services.evaluate_all(now=LATER)
    assert wizard(employee).tier == "silver"

    # A second source (connected later) backfills the same week: no cache reads at all.
    later_source = SourceFactory(name="backfilled", provider="anthropic")
    usage(employee, SUNDAY, source=later_source, input=2_000_000, output=150_000)
    services.evaluate_all(changed=(SUNDAY, SUNDAY), now=LATER)

    assert wizard(employee) is None  # 30% over the whole week
    assert Award.objects.get(person=employee, badge__slug="cache-wizard").revoked_reason


def test_a_badge_comes_back_when_the_data_earns_it_again(catalogue, usage, employee) -> None:
    usage(employee, MONDAY, input=800_000, cache_read=1_200_000, output=150_000)
    services.evaluate_all(now=LATER)
    other = SourceFactory(name="backfilled", provider="anthropic")
    usage(employee, SUNDAY, source=other, input=2_000_000, output=150_000)
    services.evaluate_all(changed=(SUNDAY, SUNDAY), now=LATER)
    assert wizard(employee) is None

    usage(employee, SUNDAY, model="gpt-5-mini", input=0, cache_read=6_000_000, output=10_000)
    services.evaluate_all(changed=(SUNDAY, SUNDAY), now=LATER)

    assert wizard(employee).tier == "gold"  # 7.2M of 10M: 72%
