from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest

from leaderboard.models import Account, AuditEvent, ModelPrice
from leaderboard.selectors import usage
from tests.factories import (
    AccountFactory,
    SourceFactory,
    UsageFactFactory,
    UserFactory,
)

AUGUST = usage.month_of(dt.date(2026, 8, 1))


@pytest.fixture
def follow_ups(monkeypatch) -> list[str]:
    """The names of the follow-up tasks queued (instead of sent to the broker)."""
    from badges import tasks as badge_tasks
    from leaderboard import tasks

    queued: list[str] = []
    for task in (tasks.rank_boards, badge_tasks.evaluate_changed):
        monkeypatch.setattr(task, "delay", lambda *args, name=task.name: queued.append(name))
    return queued


def test_manager_assigns_an_unmatched_account_and_its_history_counts(client, manager, alice):
    account = AccountFactory(person=None, external_id="user-unknown", email="")
    UsageFactFactory(account=account, day=dt.date(2026, 8, 2), input=700, output=0)
    UsageFactFactory(account=account, day=dt.date(2026, 8, 9), input=300, output=0)
    client.force_login(manager)

    response = client.post(f"/admin/leaderboard/account/{account.pk}/change/", {"person": alice.pk})

    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.person, account.matched_by) == (alice, Account.MatchedBy.MANAGER)
    assert [(p, p.total_tokens) for p in usage.standings(period=AUGUST)] == [(alice, 1000)]


def test_unmatched_accounts_are_one_filter_away(client, manager) -> None:
    AccountFactory(person=None, external_id="user-orphan", email="")
    AccountFactory(external_id="user-matched")
    client.force_login(manager)

    page = client.get("/admin/leaderboard/account/", {"person__isempty": "1"}).content.decode()

    assert "user-orphan" in page
    assert "user-matched" not in page


def test_connection_admin_never_shows_the_key_back(client, manager, openai_connection) -> None:
    client.force_login(manager)

    page = client.get(f"/admin/ingest/connection/{openai_connection.pk}/change/").content.decode()

    assert "new_api_key" in page
    assert openai_connection.api_key not in page
    assert openai_connection.encrypted_api_key not in page


def test_connection_admin_replaces_the_key_only_when_a_new_one_is_typed(
    client, manager, openai_connection
):
    client.force_login(manager)
    url = f"/admin/ingest/connection/{openai_connection.pk}/change/"
    form = {
        "name": "openai-main",
        "provider": "openai",
        "base_url": openai_connection.base_url,
        "enabled": "on",
        "pull_every_minutes": "30",
    }

    client.post(url, {**form, "new_api_key": ""})
    openai_connection.refresh_from_db()
    assert openai_connection.api_key == "sk-admin-test-key"
    assert openai_connection.pull_every_minutes == 30

    client.post(url, {**form, "new_api_key": "sk-admin-rotated"})
    openai_connection.refresh_from_db()
    assert openai_connection.api_key == "sk-admin-rotated"


def test_price_list_names_models_without_a_price(client, manager) -> None:
    UsageFactFactory(model="mystery-model-9", cost=None)
    client.force_login(manager)

    page = client.get("/admin/leaderboard/modelprice/").content.decode()

    assert "Models seen in usage with no price" in page
    assert "mystery-model-9" in page


def test_unmatched_accounts_show_their_usage_and_are_assigned_in_the_list(client, manager, alice):
    account = AccountFactory(person=None, external_id="user-orphan", email="")
    UsageFactFactory(account=account, day=dt.date(2026, 8, 2), input=1_234_000, output=0)
    client.force_login(manager)

    listing = client.get("/admin/leaderboard/account/", {"person__isempty": "1"}).content.decode()
    assert "1,234,000" in listing

    client.post(
        "/admin/leaderboard/account/?person__isempty=1",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": account.pk,
            "form-0-person": alice.pk,
            "_save": "Save",
        },
    )

    account.refresh_from_db()
    assert (account.person, account.matched_by) == (alice, Account.MatchedBy.MANAGER)


def test_manager_imports_the_directory_in_the_admin(client, manager) -> None:
    client.force_login(manager)
    people = Path(__file__).parent.parent / "data" / "people.csv"

    with people.open("rb") as upload:
        page = client.post(
            "/admin/leaderboard/person/import/", {"file": upload}, follow=True
        ).content.decode()

    assert "3 people created, 0 updated." in page
    assert "Line 5: email &#x27;not-an-email&#x27; is not an e-mail address" in page


@pytest.mark.parametrize("role", ["group manager", "superuser"])
def test_nobody_relinks_a_persons_user_in_the_admin_to_act_as_them(client, alice, role) -> None:
    from leaderboard.services.people import set_manager

    intruder = UserFactory(username="intruder", is_superuser=role == "superuser")
    set_manager(user=intruder, manager=True)
    client.force_login(intruder)
    url = f"/admin/leaderboard/person/{alice.pk}/change/"
    prefix = client.get(url).context["inline_admin_formsets"][0].formset.prefix

    response = client.post(
        url,
        {
            "email": alice.email,
            "display_name": "Alice N.",
            "team": alice.team_id,
            "user": intruder.pk,
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
        },
    )
    privacy = client.post(f"/people/{alice.public_id}/privacy/", {"visibility": "hidden"})

    assert response.status_code == 302  # the rest of the form saved
    alice.refresh_from_db()
    assert alice.display_name == "Alice N."
    assert alice.user.username == "alice"
    assert privacy.status_code == 404  # as for a missing person: it is not theirs
    assert alice.visibility == "name"


def test_the_person_page_in_the_admin_shows_the_linked_user_without_a_field(
    client, manager, alice
) -> None:
    client.force_login(manager)

    page = client.get(f"/admin/leaderboard/person/{alice.pk}/change/").content.decode()

    assert "alice" in page
    assert 'name="user"' not in page


def test_a_directory_of_bad_lines_shows_the_first_problems_and_how_many_more(
    client, manager
) -> None:
    client.force_login(manager)
    upload = io.BytesIO(b"email,name\n" + b"nobody,No One\n" * 5000)
    upload.name = "people.csv"

    response = client.post("/admin/leaderboard/person/import/", {"file": upload}, follow=True)

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("is not an e-mail address") == 20
    assert "… and 4,980 more problem(s); `manage.py import_people` lists them all." in page


def test_agents_are_one_filter_away_with_their_owner_and_never_given_to_a_person(
    client, manager, alice
) -> None:
    agent = AccountFactory(
        person=None,
        external_id="svac_nightly",
        kind=Account.Kind.AGENT,
        email="",
        owner_email="erin.moss@example.com",
    )
    client.force_login(manager)

    listing = client.get("/admin/leaderboard/account/", {"kind__exact": "agent"}).content.decode()
    assert "svac_nightly" in listing
    assert "erin.moss@example.com" in listing

    response = client.post(
        f"/admin/leaderboard/account/{agent.pk}/change/", {"person": alice.pk}, follow=True
    )

    assert "never credited to a person" in response.content.decode()
    agent.refresh_from_db()
    assert (agent.person, agent.matched_by) == (None, "")


def test_price_list_shows_each_models_prices_by_date_with_their_source(client, manager) -> None:
    client.force_login(manager)

    page = client.get("/admin/leaderboard/modelprice/", {"q": "claude-opus-4-6"}).content.decode()

    assert "claude-opus-4-6" in page
    assert "Jan. 1, 2020" in page  # the seeded price applies from the start
    assert '<a href="https://platform.claude.com/docs/en/about-claude/pricing"' in page
    assert "Aug. 17, 2026" in page  # when the page was read


def test_a_price_change_is_a_new_row_the_saved_rates_are_read_only(client, manager) -> None:
    price = ModelPrice.objects.get(model="claude-opus-4-6")
    client.force_login(manager)

    change = client.get(f"/admin/leaderboard/modelprice/{price.pk}/change/").content.decode()
    add = client.get("/admin/leaderboard/modelprice/add/").content.decode()

    assert 'name="input_per_million"' not in change
    assert 'name="note"' in change
    assert 'name="input_per_million"' in add
    client.post(
        "/admin/leaderboard/modelprice/add/",
        {
            "model": "claude-opus-4-6",
            "effective_from": "2026-10-01",
            "input_per_million": "4",
            "cached_input_per_million": "0.40",
            "cache_write_per_million": "5",
            "output_per_million": "20",
            "source_url": "https://platform.claude.com/docs/en/about-claude/pricing",
            "source_date": "2026-10-01",
        },
    )
    assert list(
        ModelPrice.objects.filter(model="claude-opus-4-6").values_list(
            "effective_from", "input_per_million"
        )
    ) == [(dt.date(2020, 1, 1), Decimal(5)), (dt.date(2026, 10, 1), Decimal(4))]


@pytest.mark.parametrize(
    ("where", "name"), [("list", "gateway"), ("form", "gateway"), ("form", "gateway-eu")]
)
def test_a_source_excluded_in_the_admin_reranks_the_boards_and_rechecks_badges(
    client, manager, follow_ups, django_capture_on_commit_callbacks, where, name
) -> None:
    source = SourceFactory(name="gateway", provider="file")
    client.force_login(manager)
    if where == "list":  # the editable column; an unticked box is not posted
        url = "/admin/leaderboard/source/"
        form = {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": source.pk,
            "_save": "Save",
        }
    else:
        url = f"/admin/leaderboard/source/{source.pk}/change/"
        form = {"name": name, "provider": "file"}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, form)

    assert response.status_code == 302
    source.refresh_from_db()
    assert (source.name, source.counts_toward_totals) == (name, False)
    assert sorted(follow_ups) == ["badges.evaluate_changed", "leaderboard.rank_boards"]


def test_a_source_renamed_in_the_admin_queues_nothing(
    client, manager, follow_ups, django_capture_on_commit_callbacks
) -> None:
    source = SourceFactory(name="gateway", provider="file")
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/admin/leaderboard/source/{source.pk}/change/",
            {"name": "gateway-eu", "provider": "file", "counts_toward_totals": "on"},
        )

    source.refresh_from_db()
    assert (source.name, source.counts_toward_totals) == ("gateway-eu", True)
    assert follow_ups == []


def test_a_person_added_in_the_admin_is_found_by_email_and_given_their_accounts(
    client, manager, platform
) -> None:
    account = AccountFactory(person=None, external_id="user-dana", email="dana.ito@example.com")
    client.force_login(manager)
    page = client.get("/admin/leaderboard/person/add/")
    prefix = page.context["inline_admin_formsets"][0].formset.prefix

    response = client.post(
        "/admin/leaderboard/person/add/",
        {
            "email": " Dana.Ito@Example.com ",
            "display_name": "Dana Ito",
            "team": platform.pk,
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.person.email == "dana.ito@example.com"
    assert account.matched_by == Account.MatchedBy.EMAIL


def test_a_persons_privacy_choice_is_theirs_alone_not_the_admins(client, manager, alice) -> None:
    client.force_login(manager)
    url = f"/admin/leaderboard/person/{alice.pk}/change/"
    prefix = client.get(url).context["inline_admin_formsets"][0].formset.prefix

    response = client.post(
        url,
        {
            "email": alice.email,
            "display_name": "Alice N.",
            "team": alice.team_id,
            "visibility": "hidden",
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.display_name, alice.visibility) == ("Alice N.", "name")


def test_manager_excludes_a_person_from_ranking_with_a_reason_and_it_is_audited(
    client, manager, alice, bob, follow_ups, django_capture_on_commit_callbacks
) -> None:
    client.force_login(manager)
    action = {"action": "exclude_from_ranking", "_selected_action": [alice.pk, bob.pk]}

    refused = client.post("/admin/leaderboard/person/", action, follow=True)
    assert [str(m) for m in refused.context["messages"]] == [
        "say why the person is excluded from ranking"
    ]
    alice.refresh_from_db()
    assert not alice.excluded_from_ranking

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/leaderboard/person/", {**action, "reason": "Test account"})
    alice.refresh_from_db()
    assert (alice.excluded_from_ranking, alice.exclusion_reason) == (True, "Test account")
    bob.refresh_from_db()
    assert bob.excluded_from_ranking
    event = AuditEvent.objects.get(action="excluded from ranking", target_id=str(alice.pk))
    assert (event.actor, event.details["reason"]) == (manager, "Test account")
    assert follow_ups.count("badges.evaluate_changed") == 1  # awards follow, in one pass

    listing = client.get("/admin/leaderboard/person/", {"excluded_from_ranking__exact": "1"})
    assert "Alice Nguyen" in listing.content.decode()

    client.post(
        "/admin/leaderboard/person/",
        {"action": "include_in_ranking", "_selected_action": [alice.pk]},
        follow=True,
    )
    alice.refresh_from_db()
    assert (alice.excluded_from_ranking, alice.exclusion_reason) == (False, "")
    assert AuditEvent.objects.filter(action="included in ranking", actor=manager).count() == 1


def test_marking_an_agent_refuses_an_unknown_owner_both_owners_and_unattributed_usage(
    client, manager, alice, platform, follow_ups
) -> None:
    mine = AccountFactory(person=alice, external_id="alice-bot")
    nobody = AccountFactory(person=None, external_id="", kind=Account.Kind.UNATTRIBUTED)
    client.force_login(manager)

    def mark(accounts: list[Account], **owner: object) -> list[str]:
        chosen = [a.pk for a in accounts]
        form = {"action": "mark_agent", "_selected_action": chosen, **owner}
        response = client.post("/admin/leaderboard/account/", form, follow=True)
        return [str(m) for m in response.context["messages"]]

    assert mark([mine], owner_email="nobody@example.com") == [
        "Nobody in the directory has the e-mail nobody@example.com."
    ]
    both = mark([mine], owner_email=alice.email, owner_team=platform.pk)
    assert both == ["An agent's owner is a person or a team, not both."]
    assert mark([mine, nobody], owner_team=platform.pk) == [
        "Unattributed usage is nobody's: it cannot be an agent."
    ]
    mine.refresh_from_db()
    assert (mine.kind, mine.person) == (Account.Kind.USER, alice)
    assert not AuditEvent.objects.filter(action="marked as an agent").exists()

    assert mark([mine], owner_team=platform.pk) == ["1 account(s) marked as agents."]
    mine.refresh_from_db()
    assert (mine.kind, mine.person, mine.owner_team) == (Account.Kind.AGENT, None, platform)


def test_the_audit_trail_names_people_and_shows_details_in_full(
    client, manager, employee, rival
) -> None:
    """Actors were shown by username ("person-22") and details cut mid-JSON: the list names the
    person behind each login and reads details as pairs; an event's page shows all of them."""
    from leaderboard.services import accounts

    actor = employee.user
    actor.first_name, actor.email = "Alice Nguyen", "alice@example.com"
    actor.save()
    account = AccountFactory(person=rival)
    accounts.attribute_account(account=account, person=employee, by=actor)
    AuditEvent.objects.create(
        at=dt.datetime(2026, 8, 1, tzinfo=dt.UTC),
        actor=None,
        action="note",
        target_type="person",
        target_id="1",
        target="x",
        details={"why": "w" * 400},
    )
    client.force_login(manager)

    listing = client.get("/admin/leaderboard/auditevent/").content.decode()
    event = AuditEvent.objects.get(action="account attributed")
    page = client.get(f"/admin/leaderboard/auditevent/{event.pk}/change/").content.decode()

    assert "Alice Nguyen &lt;alice@example.com&gt;" in listing
    assert f"person-{employee.pk}" not in listing
    assert f"from: {rival.pk}; to: {employee.pk}" in listing
    assert "the system (a command or task)" in listing and "w" * 400 not in listing
    assert f"&quot;to&quot;: {employee.pk}" in page  # the whole details, as JSON
