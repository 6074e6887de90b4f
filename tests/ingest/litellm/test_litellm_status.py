"""The data status page covers a LiteLLM proxy: what it reports, and when a day is complete."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from ingest.models import IngestRun
from ingest.selectors import complete_through
from ingest.services.pulls import pull_connection

PULLED = dt.datetime(2026, 8, 5, 0, 30, tzinfo=dt.UTC)


def section(page: str, source: str) -> str:
    card = page.split(f'id="source-{source}"', 1)[1].split("</section>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card))


@pytest.mark.parametrize(
    ("started", "through"),
    [
        # daily spend rows are written in batches: a day is complete 5 minutes after it ends
        (dt.datetime(2026, 8, 5, 0, 5, tzinfo=dt.UTC), 4),
        (dt.datetime(2026, 8, 5, 0, 4, tzinfo=dt.UTC), 3),
    ],
)
def test_a_day_is_complete_five_minutes_after_it_ends(started, through) -> None:
    assert complete_through(
        provider="litellm", started_at=started, window_end=dt.date(2026, 8, 5)
    ) == dt.date(2026, 8, through)


def test_the_status_page_shows_what_the_proxy_reports(employee_client, litellm_connection) -> None:
    with time_machine.travel(PULLED, tick=False):
        run = pull_connection(
            connection=litellm_connection, start=dt.date(2026, 8, 3), end=dt.date(2026, 8, 5)
        )
        assert run.status == IngestRun.Status.SUCCEEDED
        page = employee_client.get("/data/").content.decode()

    card = section(page, "litellm-proxy")
    assert "LiteLLM proxy" in card
    assert "Complete through 4 Aug 2026" in card
    assert "Daily spend is written in batches" in card
    assert "Requests Reported" in card
    assert "Billed by the provider" in card
