"""The demo company's LiteLLM proxy: generated answers read by the real adapter."""

from __future__ import annotations

import datetime as dt
import io

from django.core.management import call_command
from django.utils import timezone

from ingest.models import IngestRun
from ingest.providers.demo import DemoProxy
from leaderboard.domain.records import UNATTRIBUTED
from leaderboard.models import UsageFact


def test_seed_demo_pulls_a_litellm_proxy_through_the_real_adapter(db) -> None:
    call_command("seed_demo", "--days", "14", stdout=io.StringIO())

    run = IngestRun.objects.get(connection__name="demo-litellm")
    assert run.status == IngestRun.Status.SUCCEEDED
    end = timezone.now().date()
    start = end - dt.timedelta(days=13)
    rows = DemoProxy()._rows(start.isoformat(), end.isoformat())
    facts = UsageFact.objects.filter(source__name="demo-litellm").select_related("account")
    by_person = {f.account.external_id: 0 for f in facts if f.account.external_id != UNATTRIBUTED}
    for f in facts:
        if f.account.external_id in by_person:
            by_person[f.account.external_id] += f.total_tokens
    # every token the proxy reported, once: a person's by their user_id, the team key's
    # (user_id "") as nobody's
    expected: dict[str, int] = {}
    for r in rows:
        key = r.user_id or UNATTRIBUTED
        tokens = r.numbers["prompt_tokens"] + r.numbers["completion_tokens"]
        expected[key] = expected.get(key, 0) + int(tokens)
    assert by_person == {k: v for k, v in expected.items() if k != UNATTRIBUTED}
    team = sum(f.total_tokens for f in facts if f.account.external_id == UNATTRIBUTED)
    assert team == expected[UNATTRIBUTED]
    assert all(f.account.person is not None for f in facts if f.account.external_id != UNATTRIBUTED)
