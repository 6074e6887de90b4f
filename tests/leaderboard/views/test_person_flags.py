"""A person's own gaming flags on their page (issue 20 §2, §6): the reason, the status, a note
for the reviewer (POST, htmx or not, CSRF, cleaned and length-limited), the ledger entry;
nobody else sees a flag. And the rules in words on /numbers/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from leaderboard.models import AuditEvent, Flag, GamingRule, UsageFact
from leaderboard.services import review
from tests.factories import AccountFactory, UserFactory
from tests.helpers import elements

DAY = dt.date(2026, 8, 4)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def flagged(usage, employee, gaming_rules) -> Flag:
    """The employee's 4 August, held by the low-output rule."""
    usage(employee, DAY, input=30_000_000, output=100)
    (flag,) = review.detect(start=DAY, end=DAY)
    return flag


def flags_on(page: str) -> dict[str, str]:
    return {e.attrs["data-flag"] or "": e.text for e in elements(page, "li", data_flag=None)}


def test_the_owner_sees_the_flag_its_reason_and_the_ledger_entry(
    employee_client, employee, flagged
) -> None:
    page = employee_client.get(f"/people/{employee.public_id}/").content.decode()

    shown = flags_on(page)
    assert list(shown) == [str(flagged.pk)]
    assert "Held for review" in shown[str(flagged.pk)]
    assert "30,000,000 input-side tokens but 100 output" in shown[str(flagged.pk)]
    assert elements(page, "textarea", name="note")  # a held flag takes a note
    assert set(UsageFact.objects.values_list("held", flat=True)) == {True}


def test_a_raised_flag_and_its_review_are_on_the_owners_ledger(
    employee_client, employee, flagged, manager
) -> None:
    review.clear(flags=[flagged], by=manager)

    page = employee_client.get(f"/people/{employee.public_id}/").content.decode()

    entries = [e.text for e in elements(page, "li", data_ledger_entry="review")]
    assert "hold on 2026-08-04 was cleared" in entries[0] and "by a manager" in entries[0]
    assert "2026-08-04 is held for review" in entries[1] and "low-output" in entries[1]


def test_the_owner_adds_a_note_for_the_reviewer_in_a_fragment(
    employee_client, employee, flagged
) -> None:
    path = f"/people/{employee.public_id}/flags/{flagged.pk}/note/"

    response = employee_client.post(
        path, {"note": "  A migration\u200b script\n re-read the repo. "}, **HTMX
    )

    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page and 'id="flags"' in page
    flagged.refresh_from_db()
    assert flagged.person_note == "A migration script re-read the repo."  # cleaned
    assert "Your note is with the reviewer." in page
    assert AuditEvent.objects.filter(action="gaming flag note", actor=employee.user).exists()


def test_a_note_without_htmx_goes_back_to_the_page_and_is_length_limited(
    employee_client, employee, flagged
) -> None:
    path = f"/people/{employee.public_id}/flags/{flagged.pk}/note/"

    response = employee_client.post(path, {"note": "x" * 5000})

    assert response.status_code == 302 and response.url == f"/people/{employee.public_id}/"
    flagged.refresh_from_db()
    assert flagged.person_note == "x" * review.NOTE_MAX


def test_an_empty_note_is_refused_in_words(employee_client, employee, flagged) -> None:
    path = f"/people/{employee.public_id}/flags/{flagged.pk}/note/"

    page = employee_client.post(path, {"note": " \u200b "}, **HTMX).content.decode()

    assert "write a note for the reviewer" in page
    flagged.refresh_from_db()
    assert flagged.person_note == ""


def test_a_note_needs_a_csrf_token_and_a_post(employee, flagged) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(employee.user)
    path = f"/people/{employee.public_id}/flags/{flagged.pk}/note/"

    assert strict.post(path, {"note": "hi"}).status_code == 403
    assert strict.post(path, {"note": "hi"}, **HTMX).status_code == 403
    assert strict.get(path).status_code == 405
    flagged.refresh_from_db()
    assert flagged.person_note == ""


def test_nobody_else_sees_a_flag_or_can_write_its_note(
    client, employee, rival, manager, flagged
) -> None:
    rival.user = UserFactory(username="bob")
    rival.save()
    path = f"/people/{employee.public_id}/"
    for viewer in [rival.user, manager]:  # a colleague; a manager on the public page
        client.force_login(viewer)
        page = client.get(path).content.decode()
        assert not flags_on(page) and 'id="flags"' not in page
        assert "input-side tokens" not in page
        note = client.post(f"{path}flags/{flagged.pk}/note/", {"note": "mine now"})
        assert note.status_code == 404
    # nor through their own page's URL
    client.force_login(rival.user)
    AccountFactory(person=rival)
    assert (
        client.post(
            f"/people/{rival.public_id}/flags/{flagged.pk}/note/", {"note": "x"}
        ).status_code
        == 404
    )
    flagged.refresh_from_db()
    assert flagged.person_note == ""


def test_presentation_mode_shows_no_flag_even_to_the_owner(
    employee_client, employee, flagged
) -> None:
    page = employee_client.get(f"/people/{employee.public_id}/?present=1").content.decode()
    assert not flags_on(page)


def test_the_numbers_page_explains_each_enabled_gaming_rule_with_its_thresholds(
    employee_client, gaming_rules
) -> None:
    GamingRule.objects.filter(slug="loop").update(enabled=False)
    GamingRule.objects.filter(slug="low-output").update(params={"min_input_side": 50_000_000})

    page = employee_client.get("/numbers/").content.decode()

    rules = {
        e.attrs["data-gaming-rule"]: e.text for e in elements(page, "div", data_gaming_rule=None)
    }
    assert set(rules) == {"spike", "low-output", "cost-outlier"}
    assert "at least 50,000,000 input-side tokens" in rules["low-output"]
    assert "robust z-score" in rules["spike"]
    assert "held" in page and "confirming the hold" in page
