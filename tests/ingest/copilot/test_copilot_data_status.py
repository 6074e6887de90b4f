"""The data status page says what a Copilot source cannot report and when its days are
complete."""

from __future__ import annotations

import datetime as dt
import re

from ingest.models import IngestRun
from ingest.services.pulls import pull_connection


def test_the_status_page_tells_what_copilot_reports_and_what_it_cannot(
    employee_client, copilot_connection
) -> None:
    run = pull_connection(
        connection=copilot_connection, start=dt.date(2026, 8, 3), end=dt.date(2026, 8, 5)
    )
    assert run.status == IngestRun.Status.SUCCEEDED

    page = employee_client.get("/data/").content.decode()

    card = page.split('id="source-copilot-acme"', 1)[1].split("</section>", 1)[0]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card))
    assert "Complete through 5 Aug 2026" in text  # each report "covers a complete day"
    assert "Each daily report covers a complete day for which data has been processed" in text
    assert "Requests Reported" in text
    assert "Billed by the provider (premium requests" in text
    assert (
        "Cannot report Token counts of IDE and chat use (only the Copilot CLI's are reported); "
        "A split by model" in text.replace("&#x27;", "'")
    )


def test_a_token_lens_says_copilots_ide_use_has_no_tokens(employee_client, copilot_connection):
    pull_connection(
        connection=copilot_connection, start=dt.date(2026, 8, 3), end=dt.date(2026, 8, 5)
    )

    tokens = employee_client.get("/boards/token-volume/?lens=total_tokens").content.decode()
    requests = employee_client.get("/boards/token-volume/?lens=requests").content.decode()

    note = "copilot-acme has none for its IDE and chat use (only the Copilot CLI reports tokens)"
    assert note in tokens
    assert "n/a here, not 0" in tokens
    assert note not in requests
