"""Attribution by actor (issue 17 §1, §4): every provider is pulled with every actor dimension
it offers, each user goes to a person by e-mail through the users and key lists, and service
accounts (or keys acting as one) become agents that no person is credited with.

Each scenario runs the real pull path against the stubs' actors scenario, twice."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from badges.models import Award
from badges.services import evaluate_badge
from ingest.models import IngestRun
from ingest.providers import anthropic, openai
from ingest.services.pulls import pull_connection
from leaderboard.domain.periods import Period
from leaderboard.models import Account, AuditEvent, Person, UsageFact
from leaderboard.selectors import usage
from leaderboard.selectors.ledger import standing_ledger
from leaderboard.selectors.rankings import Ranking
from leaderboard.services.rankings import board_scope
from tests.factories import AccountFactory, BadgeFactory, PersonFactory
from tests.helpers import data, elements, rows

SEP1, SEP2 = dt.date(2026, 9, 1), dt.date(2026, 9, 2)
SEPTEMBER = Period(dt.date(2026, 9, 1), dt.date(2026, 9, 30), "September 2026")
TWO_TO_31 = 2**31
CAROL, ERIN = "carol.diaz@example.com", "erin.moss@example.com"
# Anthropic ids of the scenario (tests/data/anthropic/actors)
NIGHTLY_RUNNER = "svac_01NightlyRn4Kq8Wz2Xt"
GHOST = "user_01GhostU3Yb6Rm1Qz9Lf"
LEGACY_SCRIPT = "apikey_01LegacyScr3Pv9Kd"


def totals() -> dict[str, int]:
    return {p.email: p.total_tokens for p in usage.standings(period=SEPTEMBER)}


def tokens(account: Account) -> int:
    return sum(f.total_tokens for f in UsageFact.objects.filter(account=account))


def pulled_twice(connection) -> dict[str, int]:
    """Pull the scenario twice; both pulls succeed and leave the same totals."""
    first = pull_connection(connection=connection, start=SEP1, end=SEP2, trigger="test")
    after_first = totals()
    facts_after_first = UsageFact.objects.count()
    second = pull_connection(connection=connection, start=SEP1, end=SEP2, trigger="test")

    assert first.status == second.status == IngestRun.Status.SUCCEEDED, (first.error, second.error)
    assert (first.pages, first.rows) == (second.pages, second.rows)
    assert UsageFact.objects.count() == facts_after_first
    assert totals() == after_first
    return after_first


@pytest.fixture
def anthropic_actors(anthropic_api, monkeypatch):
    """The actors scenario, with the keys list two keys a page so that it spans pages."""
    monkeypatch.setattr(anthropic, "API_KEYS_PAGE", 2)
    anthropic_api.use_actors()
    return anthropic_api


@pytest.fixture
def openai_actors(openai_api, monkeypatch):
    """The actors scenario, with one project and one key a page so every list spans pages."""
    monkeypatch.setattr(openai, "PAGE_SIZE", 1)
    openai_api.use_actors()
    return openai_api


def anthropic_account(external_id: str, provider: str = "anthropic") -> Account:
    return Account.objects.get(provider=provider, external_id=external_id)


# Anthropic Messages report


def test_messages_credit_a_person_who_uses_only_api_keys(
    anthropic_connection, anthropic_actors
) -> None:
    assert pulled_twice(anthropic_connection) == {
        # her key carol-laptop (above 2^31 in every count), her OAuth use on Sep 2, and the
        # key shared-name, which the report names by id and whose principal is her
        CAROL: (3_000_000_000 + 1_000_000_000 + 500_000_000) + (1_000 + 100) + TWO_TO_31 + (60 + 6),
        "frank.obi@example.com": 20_000 + 2_000,
    }
    asked = anthropic_actors.usage_requests[0].args.getlist("group_by[]")
    assert asked == [  # every actor dimension, and what pricing needs
        "account_id",
        "api_key_id",
        "service_account_id",
        "model",
        "service_tier",
        "context_window",
        "inference_geo",
    ]


def test_messages_give_a_service_accounts_usage_to_an_agent_not_its_creator(
    anthropic_connection, anthropic_actors, alice
) -> None:
    pulled_twice(anthropic_connection)

    agent = anthropic_account(NIGHTLY_RUNNER)
    assert (agent.kind, agent.person, agent.owner_email) == (Account.Kind.AGENT, None, ERIN)
    # its key nightly-ci (an API key acting as it) and its own OIDC traffic
    assert tokens(agent) == (40_000 + 4_000) + (10_000 + 1_000)
    assert ERIN not in totals()


def test_messages_keep_a_key_bound_to_no_one_from_its_creator(
    anthropic_connection, anthropic_actors
) -> None:
    pulled_twice(anthropic_connection)

    key = anthropic_account(LEGACY_SCRIPT)
    assert (key.kind, key.person, key.email, key.owner_email) == (
        Account.Kind.API_KEY,
        None,
        "",
        ERIN,
    )
    assert key.name == "API key legacy-script"
    assert tokens(key) == 7_000 + 700


def test_messages_leave_unknown_users_and_keys_unmatched(
    anthropic_connection, anthropic_actors
) -> None:
    pulled_twice(anthropic_connection)

    ghost = anthropic_account(GHOST)  # the principal of ghost-key, missing from the users list
    assert (ghost.kind, ghost.email, ghost.person) == (Account.Kind.USER, "", None)
    assert tokens(ghost) == 3_000 + 300
    unlisted = anthropic_account("apikey_01Unlisted9Qw4Er7")
    assert (unlisted.kind, unlisted.person) == (Account.Kind.API_KEY, None)
    assert tokens(unlisted) == 900 + 90
    assert tokens(anthropic_account("")) == 500 + 50  # no user, key or service account


def test_messages_list_every_key_page_once_a_pull(anthropic_connection, anthropic_actors) -> None:
    pulled_twice(anthropic_connection)

    asked = [(r.args["limit"], r.args.get("after_id")) for r in anthropic_actors.list_requests]
    one_pull = [
        ("2", None),
        ("2", "apikey_01NightlyCi5Tr7Wm2"),
        ("2", "apikey_01GhostKey6Mn1Bx4"),
    ]
    assert asked == one_pull * 2


def test_unattributed_usage_leaves_out_agents(anthropic_connection, anthropic_actors) -> None:
    pulled_twice(anthropic_connection)

    (unowned,) = usage.unowned_usage(start=SEP1, end=SEP2)
    # the unbound key, the unknown user, the unlisted key and the anonymous rows; not the agent
    assert unowned.tokens == 7_700 + 3_300 + 990 + 550
    assert unowned.accounts == 4
    assert NIGHTLY_RUNNER not in {a.external_id for a in usage.unmatched_accounts()}


def test_a_service_account_a_manager_gave_to_a_person_becomes_an_agent(
    anthropic_connection, anthropic_actors
) -> None:
    erin = PersonFactory(email=ERIN)
    account = AccountFactory(
        provider="anthropic",
        external_id=NIGHTLY_RUNNER,
        person=erin,
        matched_by=Account.MatchedBy.MANAGER,
    )

    pulled_twice(anthropic_connection)

    account.refresh_from_db()
    assert (account.kind, account.person, account.matched_by) == (Account.Kind.AGENT, None, "")
    assert ERIN not in totals()
    event = AuditEvent.objects.get(action="account unmatched", target_id=str(account.pk))
    assert event.details["person"] == erin.pk


# Claude Code


def test_claude_code_credits_a_key_to_the_user_it_acts_as(
    claude_code_connection, anthropic_actors
) -> None:
    assert pulled_twice(claude_code_connection) == {
        # her OAuth records (a mixed-case e-mail) and her key carol-laptop, on one account
        CAROL: (100 + 10) + 3_000_000_000,
        "frank.obi@example.com": 200 + 20,
    }
    carol = Account.objects.get(provider="claude_code", email=CAROL)
    assert carol.external_id == CAROL
    assert UsageFact.objects.get(account=carol).input == 3_000_000_100


def test_claude_code_never_credits_a_service_account_keys_creator(
    claude_code_connection, anthropic_actors
) -> None:
    pulled_twice(claude_code_connection)

    agent = anthropic_account(NIGHTLY_RUNNER, provider="claude_code")
    assert (agent.kind, agent.person, agent.owner_email) == (Account.Kind.AGENT, None, ERIN)
    assert tokens(agent) == 4_000 + 400
    assert ERIN not in totals()


def test_claude_code_keeps_unresolvable_keys_as_keys_of_their_own(
    claude_code_connection, anthropic_actors
) -> None:
    pulled_twice(claude_code_connection)

    def key(name: str) -> Account:
        return anthropic_account(f"api_key:{name}", provider="claude_code")

    # bound to no one (created by Erin); two keys share the name; acting as an unknown user
    assert (key("legacy-script").person, key("legacy-script").owner_email) == (None, ERIN)
    assert key("shared-name").person is None
    assert key("ghost-key").person is None
    assert {tokens(key(n)) for n in ("legacy-script", "shared-name", "ghost-key")} == {
        770,
        55,
        33,
    }


def test_claude_code_takes_a_key_back_from_the_creator_it_was_credited_to(
    claude_code_connection, anthropic_actors
) -> None:
    erin = PersonFactory(email=ERIN)
    # what earlier versions did: a key credited to its creator through her e-mail
    key = AccountFactory(
        provider="claude_code",
        external_id="api_key:legacy-script",
        kind=Account.Kind.API_KEY,
        person=erin,
        matched_by=Account.MatchedBy.EMAIL,
    )

    pulled_twice(claude_code_connection)

    key.refresh_from_db()
    assert (key.person, key.email, key.owner_email) == (None, "", ERIN)
    assert ERIN not in totals()


# OpenAI


def test_openai_credits_key_owners_and_users_the_users_list_lacks(
    openai_connection, openai_actors
) -> None:
    assert pulled_twice(openai_connection) == {
        # her project key with no user_id, and a row naming her and the key (above 2^31)
        CAROL: (3_000_000_000 + 500) + TWO_TO_31,
        # "email": null in the users list; her key's owner has it
        "nina.null@example.com": 900 + 90,
        # missing from the users list; her key's owner names her
        "gina.ghost@example.com": 600 + 60,
    }
    asked = openai_actors.usage_requests[0].args.getlist("group_by[]")
    assert asked == ["project_id", "user_id", "api_key_id", "model", "batch", "service_tier"]


def test_openai_service_accounts_are_agents(openai_connection, openai_actors) -> None:
    pulled_twice(openai_connection)

    key_owner = Account.objects.get(provider="openai", external_id="svc_acct_Nightly5Rt8Yq")
    assert (key_owner.kind, key_owner.name, key_owner.person) == (
        Account.Kind.AGENT,
        "nightly-eval",
        None,
    )
    assert tokens(key_owner) == 8_000 + 800
    robot = Account.objects.get(provider="openai", external_id="user-RobotSa9Lk3Mn7Pq1Hd")
    assert (robot.kind, robot.person) == (Account.Kind.AGENT, None)  # "is_service_account"
    assert tokens(robot) == 5_000 + 500


def test_openai_leaves_unknown_users_and_keys_unmatched(openai_connection, openai_actors) -> None:
    pulled_twice(openai_connection)

    unknown = Account.objects.get(provider="openai", external_id="user-Unknown1Zx5Cv8Bn")
    assert (unknown.kind, unknown.email, unknown.person) == (Account.Kind.USER, "", None)
    deleted = Account.objects.get(provider="openai", external_id="key_Deleted9Pq2")
    assert (deleted.kind, deleted.person) == (Account.Kind.API_KEY, None)
    assert tokens(Account.objects.get(provider="openai", external_id="")) == 400 + 40


def test_openai_lists_projects_and_their_keys_page_by_page_once_a_pull(
    openai_connection, openai_actors
) -> None:
    pulled_twice(openai_connection)

    asked = [(r.path, r.args.get("after")) for r in openai_actors.list_requests]
    one_pull = [
        ("/v1/organization/projects", None),
        ("/v1/organization/projects", "proj_Alpha3Kx8Vm2"),
        ("/v1/organization/projects/proj_Alpha3Kx8Vm2/api_keys", None),
        ("/v1/organization/projects/proj_Alpha3Kx8Vm2/api_keys", "key_CarolLaptop4Hq9"),
        ("/v1/organization/projects/proj_Beta7Lq4Wn9/api_keys", None),
        ("/v1/organization/projects/proj_Beta7Lq4Wn9/api_keys", "key_GinaDesk6Mv3"),
    ]
    assert asked == one_pull * 2
    projects, keys = openai_actors.list_requests[0], openai_actors.list_requests[2]
    assert projects.args["include_archived"] == "true"  # Beta is archived; its keys still count
    assert keys.args["owner_project_access"] == "any"


def test_an_agents_usage_is_on_no_people_board_team_figure_or_badge(
    anthropic_connection, anthropic_actors, employee_client, seeded_boards, platform, settings
) -> None:
    """Issue 20 §1, through the real pull: the service account's owner and a colleague on one
    team; the agent's tokens reach no board, no team total and no personal badge."""
    settings.TEAM_MIN_SIZE = 2
    erin = PersonFactory(email=ERIN, display_name="Erin Moss", team=platform)
    carol = PersonFactory(email=CAROL, display_name="Carol Diaz", team=platform)
    people_totals = pulled_twice(anthropic_connection)
    agent_tokens = tokens(anthropic_account(NIGHTLY_RUNNER))
    assert agent_tokens > 0 and ERIN not in people_totals

    volume = seeded_boards["token-volume"]
    ranking = Ranking(board_scope(volume, lens=volume.metric, period=SEPTEMBER))
    places = {row.person_id: row.total_tokens for row in ranking.page(limit=100)}
    by_email = dict(Person.objects.filter(pk__in=places).values_list("pk", "email"))
    assert {by_email[pk]: t for pk, t in places.items()} == people_totals
    with time_machine.travel(dt.datetime(2026, 9, 15, 12, tzinfo=dt.UTC), tick=False):
        board = employee_client.get(f"/boards/{volume.slug}/").content.decode()
        team = employee_client.get(f"/teams/{platform.pk}/").content.decode()
    for page in (board, team):
        shown = {row.person for row in rows(page)}
        assert carol.public_id in shown and erin.public_id not in shown
    assert data(team, "total-tokens") == [str(people_totals[CAROL])]  # Carol's alone

    first = BadgeFactory(kind="first", params={}, tiers={"bronze": None})
    volume_badge = BadgeFactory(tiers={"bronze": 1})
    for badge in (first, volume_badge):
        evaluate_badge(badge=badge, now=dt.datetime(2026, 9, 15, tzinfo=dt.UTC))
        holders = set(Award.objects.filter(badge=badge).values_list("person__email", flat=True))
        assert holders == set(people_totals), badge.kind
    assert carol.pk in set(Award.objects.values_list("person", flat=True))
    assert not Award.objects.filter(person=erin).exists()


FRANK, FRANK_ID = "frank.obi@example.com", "user_01FrankO2Xc8Vn4Pj7Ds"


def test_an_account_a_manager_marks_as_an_agent_moves_to_the_agents_board_and_back(
    anthropic_connection,
    anthropic_actors,
    client,
    manager,
    seeded_boards,
    platform,
    monkeypatch,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    """Issue 20 §1, through the real pull: "Frank" is a bot's login. A manager marks his
    account as an agent owned by Carol in the admin; its usage leaves his totals, the people
    board, his team's figure and his live badge, and is on the agents board under Carol;
    marked back, it is his again. Audited both ways."""
    from badges import tasks as badge_tasks
    from leaderboard import tasks

    queued: list[str] = []
    for task in (tasks.rank_boards, badge_tasks.evaluate_changed):
        monkeypatch.setattr(task, "delay", lambda *a, name=task.name: queued.append(name))
    carol = PersonFactory(email=CAROL, display_name="Carol Diaz", team=platform)
    before = pulled_twice(anthropic_connection)
    bot = anthropic_account(FRANK_ID)
    frank = bot.person
    moved = tokens(bot)
    assert frank is not None and before[FRANK] == moved > 0
    settings.TEAM_MIN_SIZE = 2
    Person.objects.filter(pk=frank.pk).update(team=platform)  # Carol's team
    in_september = dt.datetime(2026, 9, 15, 12, tzinfo=dt.UTC)

    def team_total() -> list[str]:
        with time_machine.travel(in_september, tick=False):
            return data(client.get(f"/teams/{platform.pk}/").content.decode(), "total-tokens")

    client.force_login(manager)
    assert team_total() == [str(before[CAROL] + moved)]
    badge = BadgeFactory(policy="live", tiers={"bronze": moved})
    evaluate_badge(badge=badge, now=dt.datetime(2026, 9, 15, tzinfo=dt.UTC))
    assert Award.objects.filter(badge=badge, person=frank, revoked_at__isnull=True).exists()

    action = {"action": "mark_agent", "_selected_action": [bot.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        marked = client.post(
            "/admin/leaderboard/account/", {**action, "owner_email": CAROL.upper()}, follow=True
        )
    assert [str(m) for m in marked.context["messages"]] == ["1 account(s) marked as agents."]
    bot.refresh_from_db()
    assert (bot.kind, bot.person, bot.owner_person) == (Account.Kind.AGENT, None, carol)
    event = AuditEvent.objects.get(action="marked as an agent", target_id=str(bot.pk))
    assert (event.actor, event.details["person"]) == (manager, frank.pk)
    assert "badges.evaluate_changed" in queued
    (entry,) = [e for e in standing_ledger(frank) if "agent" in e.what]
    assert "is an agent now" in entry.what and entry.reason == "Marked by a manager"

    assert FRANK not in totals() and totals()[CAROL] == before[CAROL]
    assert team_total() == [str(before[CAROL])]  # the team figure without the agent
    again = pull_connection(connection=anthropic_connection, start=SEP1, end=SEP2, trigger="test")
    assert again.status == IngestRun.Status.SUCCEEDED
    bot.refresh_from_db()  # the next pull keeps the manager's choice
    assert (bot.kind, bot.person, bot.owner_person) == (Account.Kind.AGENT, None, carol)
    assert FRANK not in totals()
    volume = seeded_boards["token-volume"]
    ranking = Ranking(board_scope(volume, lens=volume.metric, period=SEPTEMBER))
    assert frank.pk not in {row.person_id for row in ranking.page(limit=100)}
    badge_tasks.evaluate_changed()  # the queued pass
    assert not Award.objects.filter(badge=badge, person=frank, revoked_at__isnull=True).exists()
    with time_machine.travel(dt.datetime(2026, 9, 15, 12, tzinfo=dt.UTC), tick=False):
        agents = client.get("/agents/").content.decode()
    row = next(r for r in elements(agents, "tr", data_agent=str(bot.pk)))
    assert "Carol Diaz" in row.html and f'data-tokens="{moved}"' in row.html

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/leaderboard/account/", {"action": "unmark_agent", "_selected_action": [bot.pk]}
        )
    bot.refresh_from_db()
    assert (bot.kind, bot.person, bot.owner_person) == (Account.Kind.USER, frank, None)
    assert totals()[FRANK] == moved
    assert AuditEvent.objects.filter(action="marked as a person's account", actor=manager).exists()
