"""The agents page (leaderboard.web.views.manage.agents), for managers only: each agent with
its owner and its usage, busiest first."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import time_machine

from leaderboard.models import Account
from tests.factories import AccountFactory, UsageFactFactory
from tests.helpers import AUG, elements

IN_AUGUST = dt.datetime(2026, 8, 20, 12, tzinfo=dt.UTC)


def agent(external_id: str, owner_email: str = "") -> Account:
    return AccountFactory(
        person=None, kind=Account.Kind.AGENT, external_id=external_id, owner_email=owner_email
    )


def test_agents_page_lists_agents_with_their_owner_and_usage_for_managers_only(
    employee_client, client, manager, employee, usage, seeded_boards
) -> None:
    nightly = agent("svac_nightly", owner_email="Alice.Nguyen@example.com")
    orphan = agent("svac_orphan", owner_email="gone@example.com")
    idle = agent("svac_idle")
    for account, tokens, day in [
        (nightly, 2_000_000, AUG),
        (orphan, 5_000, AUG),
        (idle, 900, AUG - dt.timedelta(days=40)),  # nothing this month
    ]:
        UsageFactFactory(
            account=account, source=usage.source, day=day, input=tokens, output=0, cost=Decimal(1)
        )
    usage(employee, AUG, input=777)  # a person's usage is not an agent's

    with time_machine.travel(IN_AUGUST, tick=False):
        assert employee_client.get("/manage/agents/").status_code == 404
        client.force_login(manager)
        page = client.get("/manage/agents/").content.decode()

    shown = elements(page, "tr", data_agent=None)
    assert [row.attrs["data-agent"] for row in shown] == [
        str(nightly.pk),
        str(orphan.pk),
        str(idle.pk),
    ]
    first, second, third = (row.html for row in shown)
    assert f"/admin/leaderboard/person/{employee.pk}/change/" in first and "Platform" in first
    assert 'data-tokens="2000000"' in first
    assert "not in the directory" in second and 'data-tokens="5000"' in second
    assert 'data-tokens="0"' in third and "unknown" in third
    assert "777" not in page


def test_agents_page_shows_the_owner_a_manager_chose(client, manager, employee, usage) -> None:
    from tests.factories import TeamFactory

    chosen = agent("svac_chosen", owner_email="someone.else@example.com")
    chosen.owner_person = employee
    chosen.save()
    teamed = agent("svac_team")
    teamed.owner_team = TeamFactory(name="Data")
    teamed.save()
    for account in (chosen, teamed):
        UsageFactFactory(account=account, source=usage.source, day=AUG, input=10, output=0)

    client.force_login(manager)
    with time_machine.travel(IN_AUGUST, tick=False):
        page = client.get("/manage/agents/").content.decode()

    rows = {r.attrs["data-agent"]: r.html for r in elements(page, "tr", data_agent=None)}
    assert employee.email in rows[str(chosen.pk)] and "someone.else" not in rows[str(chosen.pk)]
    assert "Platform" in rows[str(chosen.pk)]
    assert "Data" in rows[str(teamed.pk)] and "unknown" in rows[str(teamed.pk)]
