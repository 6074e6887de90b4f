"""Cache Wizard for one ISO week, from usage pulled through the real OpenAI adapter."""

from __future__ import annotations

import datetime as dt

from badges import services
from badges.models import Award
from ingest.services.pulls import pull_connection

MONDAY, SUNDAY = dt.date(2026, 8, 10), dt.date(2026, 8, 16)
PEOPLE = {
    "user-ada": "ada@example.com",
    "user-ben": "ben@example.com",
    "user-cy": "cy@example.com",
    "user-di": "di@example.com",
    "user-eve": "eve@example.com",
}


def result(user: str, model: str, *, input_tokens: int, cached: int, write: int = 0) -> dict:
    """An OpenAI completions result: input_tokens includes cached and cache-write tokens."""
    return {
        "object": "organization.usage.completions.result",
        "input_tokens": input_tokens,
        "input_cached_tokens": cached,
        "input_cache_write_tokens": write,
        "output_tokens": 1_000,
        "num_model_requests": 3,
        "user_id": user,
        "model": model,
    }


def bucket(day: dt.date, *results: dict) -> dict:
    start = int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp())
    return {
        "object": "bucket",
        "start_time": start,
        "end_time": start + 86_400,
        "results": list(results),
    }


def test_cache_wizard_goes_to_exactly_those_over_both_bounds(
    openai_connection, openai_api, catalogue
):
    openai_api.users_pages = {
        None: {
            "object": "list",
            "has_more": False,
            "data": [
                {
                    "object": "organization.user",
                    "id": uid,
                    "email": email,
                    "name": email.split("@")[0],
                    "added_at": 1,
                }
                for uid, email in PEOPLE.items()
            ],
        }
    }
    openai_api.usage_pages = {
        None: {
            "object": "page",
            "has_more": False,
            "next_page": None,
            "data": [
                bucket(
                    MONDAY,
                    # Ada: 0.6 over 1,000,000, split over two models and two days of the week
                    result("user-ada", "gpt-5", input_tokens=400_000, cached=300_000),
                    result("user-ada", "gpt-5-mini", input_tokens=100_000, cached=60_000),
                    # Ben: 999,999 / 2,000,000 = 0.4999995, just under the ratio
                    result("user-ben", "gpt-5", input_tokens=2_000_000, cached=999_999),
                    # Cy: a share of 0.9, but 999,999 input-side tokens, just under the volume
                    result("user-cy", "gpt-5", input_tokens=999_999, cached=900_000),
                    # Di: exactly 0.5 of exactly 1,000,000 (cache writes count as input-side)
                    result(
                        "user-di", "gpt-5", input_tokens=1_000_000, cached=500_000, write=100_000
                    ),
                ),
                bucket(SUNDAY, result("user-ada", "gpt-5", input_tokens=500_000, cached=240_000)),
                # Eve: 0.9 of 2,000,000, but on the Monday after: another week
                bucket(
                    SUNDAY + dt.timedelta(days=1),
                    result("user-eve", "gpt-5", input_tokens=2_000_000, cached=1_800_000),
                ),
            ],
        }
    }
    pull_connection(connection=openai_connection, start=MONDAY, end=SUNDAY + dt.timedelta(1))

    # on the day Eve's week has settled (its end plus the ingest look-back days)
    services.evaluate_badge(
        badge=catalogue["cache-wizard"], now=dt.datetime(2026, 8, 27, tzinfo=dt.UTC)
    )

    holders = {
        (a.person.email, a.period_start, a.period_end, a.evidence["cache_read_share"])
        for a in Award.objects.filter(badge=catalogue["cache-wizard"])
    }
    assert holders == {
        ("ada@example.com", MONDAY, SUNDAY, "0.6"),
        ("di@example.com", MONDAY, SUNDAY, "0.5"),
        ("eve@example.com", SUNDAY + dt.timedelta(1), SUNDAY + dt.timedelta(7), "0.9"),
    }
