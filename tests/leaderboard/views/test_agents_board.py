"""The agents' own board and an agent's page (leaderboard.web.views.agents, issue 20 §1):
agents ranked among agents by a board's lenses and periods, each with its owner, for every
signed-in user; never a person on it, never an agent on a people board."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import time_machine

from leaderboard.models import Account, PageView
from tests.factories import AccountFactory, PersonFactory, TeamFactory, UsageFactFactory
from tests.helpers import AUG, data, elements, rows, script_json

IN_AUGUST = dt.datetime(2026, 8, 20, 12, tzinfo=dt.UTC)


def agent(external_id: str, **fields: object) -> Account:
    return AccountFactory(person=None, kind=Account.Kind.AGENT, external_id=external_id, **fields)


def spend(account: Account, source, tokens: int, *, output: int = 0, day=AUG, model="m") -> None:
    UsageFactFactory(
        account=account,
        source=source,
        day=day,
        model=model,
        input=tokens,
        output=output,
        cost=Decimal("2.50"),
    )


def test_agents_board_ranks_agents_with_their_owners_and_no_person(
    employee_client, employee, rival, usage, seeded_boards
) -> None:
    nightly = agent("svac_nightly", name="nightly", owner_email="ALICE.NGUYEN@example.com")
    ci = agent("svac_ci", name="ci-bot", owner_team=TeamFactory(name="Infra"))
    orphan = agent("svac_orphan", name="orphan")
    spend(nightly, usage.source, 2_000_000, output=10)
    spend(ci, usage.source, 5_000, output=900)
    spend(orphan, usage.source, 100, output=5)
    usage(rival, AUG, input=9_000_000)  # a person: on people boards only

    with time_machine.travel(IN_AUGUST, tick=False):
        page = employee_client.get("/agents/").content.decode()
        by_output = employee_client.get("/agents/?lens=output").content.decode()
        board = employee_client.get(f"/boards/{seeded_boards['token-volume'].slug}/")

    shown = elements(page, "tr", data_agent=None)
    assert [r.attrs["data-agent"] for r in shown] == [str(nightly.pk), str(ci.pk), str(orphan.pk)]
    assert data(page, "rank") == ["1", "2", "3"]
    assert data(page, "tokens") == ["2000010", "5900", "105"]
    first, second, third = (r.html for r in shown)
    assert f"/people/{employee.public_id}/" in first and "Alice Nguyen" in first
    assert "Infra" in second and "unknown" in third
    assert rival.public_id not in page and "Bob Okafor" not in page
    by = elements(by_output, "tr", data_agent=None)
    assert [r.attrs["data-agent"] for r in by] == [str(ci.pk), str(nightly.pk), str(orphan.pk)]
    people = {row.person for row in rows(board.content.decode())}
    assert people == {rival.public_id}
    assert PageView.objects.filter(kind="agents").count() == 2


def test_agents_board_is_reached_from_the_boards_index_and_needs_sign_in(
    client, employee_client, seeded_boards
) -> None:
    assert "/agents/" in employee_client.get("/").content.decode()
    employee_client.logout()
    for path in ("/agents/", f"/agents/{agent('svac_x').pk}/"):
        assert client.get(path).status_code == 302  # to sign-in


def test_agents_board_keeps_to_its_period(employee_client, usage, seeded_boards) -> None:
    july = agent("svac_july", name="july-only")
    spend(july, usage.source, 500, day=AUG - dt.timedelta(days=10))
    with time_machine.travel(IN_AUGUST, tick=False):
        august = employee_client.get("/agents/?period=month").content.decode()
        last = employee_client.get("/agents/?period=month&back=1").content.decode()
        ever = employee_client.get("/agents/?period=all_time").content.decode()
    assert "july-only" not in august and "July 2026" in last and "july-only" in last
    assert "july-only" in ever


def test_a_hidden_owner_is_not_named_and_a_pseudonymous_one_by_pseudonym(
    employee_client, usage, seeded_boards
) -> None:
    hidden = PersonFactory(email="hid@example.com", display_name="Hidden Hal", visibility="hidden")
    masked = PersonFactory(
        email="mask@example.com", display_name="Masked Max", visibility="pseudonym"
    )
    spend(agent("svac_h", owner_email="hid@example.com"), usage.source, 10)
    spend(agent("svac_m", owner_person=masked), usage.source, 20)
    with time_machine.travel(IN_AUGUST, tick=False):
        page = employee_client.get("/agents/").content.decode()
    assert "Hidden Hal" not in page and hidden.public_id not in page
    assert "Masked Max" not in page and masked.pseudonym in page


def test_agent_page_shows_its_usage_history_totals_and_charts_by_model(
    employee_client, employee, usage, seeded_boards
) -> None:
    nightly = agent("svac_nightly", name="nightly", owner_person=employee)
    spend(nightly, usage.source, 1_000, model="claude-x")
    spend(nightly, usage.source, 3_000, model="claude-y", day=AUG + dt.timedelta(days=1))
    usage(employee, AUG, input=777)  # hers, not the agent's

    with time_machine.travel(IN_AUGUST, tick=False):
        response = employee_client.get(f"/agents/{nightly.pk}/")
        hers = Account.objects.get(person=employee)
        not_an_agent = employee_client.get(f"/agents/{hers.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert data(page, "total-tokens") == ["4000"]
    assert "Alice Nguyen" in page and "$5.00" in page
    chart = script_json(page, "chart-tokens")
    assert {trace["name"] for trace in chart["data"]} == {"claude-x", "claude-y"}
    assert script_json(page, "chart-cost") is not None
    assert not_an_agent.status_code == 404  # a person's account has no agent page
    assert employee_client.get("/agents/999999/").status_code == 404


def test_agents_board_queries_do_not_grow_with_agents(
    employee_client, usage, seeded_boards, django_assert_max_num_queries
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            owner = PersonFactory(email=f"owner{i}.{n}@example.com")
            spend(agent(f"svac_{n}_{i}", owner_email=owner.email), usage.source, 10 + i)

    add(2)
    with time_machine.travel(IN_AUGUST, tick=False):
        employee_client.get("/agents/")  # the session and the site state, read once
        with django_assert_max_num_queries(9) as few:
            employee_client.get("/agents/")
        add(12)
        with django_assert_max_num_queries(len(few.captured_queries)):
            page = employee_client.get("/agents/").content.decode()
    assert len(elements(page, "tr", data_agent=None)) == 14
