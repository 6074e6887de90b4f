"""Gaming review in the admin (issue 20 §2): managers tune a rule's thresholds (checked, and
audited), which changes what is flagged; they review held person-days with reason, evidence
and the person's note, and confirm or clear them (audited, the hold follows)."""

from __future__ import annotations

import datetime as dt
import json

from leaderboard.models import AuditEvent, Flag, GamingRule, UsageFact
from leaderboard.services import review

DAY = dt.date(2026, 8, 4)


def edit_rule(client, rule: GamingRule, params: dict) -> str:
    response = client.post(
        f"/admin/leaderboard/gamingrule/{rule.pk}/change/",
        {
            "slug": rule.slug,
            "kind": rule.kind,
            "params": json.dumps(params),
            "enabled": "on",
            "description": "",
        },
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_a_threshold_edited_in_the_admin_changes_what_is_flagged(
    client, manager, usage, employee, rival, gaming_rules
) -> None:
    usage(employee, DAY, input=30_000_000, output=100)
    usage(rival, DAY, input=60_000_000, output=100)
    low_output = gaming_rules["low-output"]
    client.force_login(manager)

    edit_rule(client, low_output, {"min_input_side": 50_000_000})
    review.detect(start=DAY, end=DAY)
    assert set(Flag.objects.values_list("person", flat=True)) == {rival.pk}

    edit_rule(client, low_output, {"min_input_side": 10_000_000})
    review.detect(start=DAY, end=DAY)
    assert set(Flag.objects.values_list("person", flat=True)) == {rival.pk, employee.pk}
    saved = AuditEvent.objects.filter(action="gaming rule saved", actor=manager)
    assert [e.details["params"] for e in saved.order_by("pk")] == [
        {"min_input_side": 50_000_000},
        {"min_input_side": 10_000_000},
    ]


def test_a_threshold_the_kind_does_not_read_is_refused_in_words(
    client, manager, gaming_rules
) -> None:
    spike = gaming_rules["spike"]
    client.force_login(manager)

    page = edit_rule(client, spike, {"min_z": -3, "colour": 1})

    assert "unknown parameter(s) colour" in page
    spike.refresh_from_db()
    assert spike.params == {}
    assert not AuditEvent.objects.filter(action="gaming rule saved").exists()


def test_a_disabled_rule_flags_nothing(client, manager, usage, employee, gaming_rules) -> None:
    usage(employee, DAY, input=30_000_000, output=100)
    client.force_login(manager)

    client.post(
        "/admin/leaderboard/gamingrule/",
        {
            "form-TOTAL_FORMS": "4",
            "form-INITIAL_FORMS": "4",
            **{
                f"form-{i}-id": str(rule.pk)
                for i, rule in enumerate(GamingRule.objects.order_by("slug"))
            },
            "_save": "Save",
        },
    )  # every "enabled" box left unticked

    assert not GamingRule.objects.filter(enabled=True).exists()
    assert review.detect(start=DAY, end=DAY) == []


def test_managers_review_held_days_with_reason_evidence_and_note_and_confirm_or_clear(
    client, manager, usage, employee, rival, gaming_rules
) -> None:
    usage(employee, DAY, input=30_000_000, output=100)
    usage(rival, DAY, input=60_000_000, output=100)
    flags = {f.person_id: f for f in review.detect(start=DAY, end=DAY)}
    review.add_note(
        flag=flags[employee.pk], person=employee, note="A re-index, sorry", by=employee.user
    )
    client.force_login(manager)

    listing = client.get("/admin/leaderboard/flag/?status__exact=held").content.decode()
    assert "A re-index, sorry" in listing and "input-side tokens but 100 output" in listing
    detail = client.get(f"/admin/leaderboard/flag/{flags[rival.pk].pk}/change/")
    assert "60000000" in detail.content.decode()  # the evidence

    for action, person in (("confirm", employee), ("clear", rival)):
        client.post(
            "/admin/leaderboard/flag/",
            {"action": action, "_selected_action": [flags[person.pk].pk]},
        )

    statuses = dict(Flag.objects.values_list("person", "status"))
    assert statuses == {employee.pk: "confirmed", rival.pk: "cleared"}
    held = dict(UsageFact.objects.values_list("account__person", "held"))
    assert held == {employee.pk: True, rival.pk: False}
    reviews = AuditEvent.objects.filter(action__startswith="gaming flag c", actor=manager)
    assert {(e.action, e.target_id) for e in reviews} == {
        ("gaming flag confirmed", str(employee.pk)),
        ("gaming flag cleared", str(rival.pk)),
    }
    review.detect(start=DAY, end=DAY)  # a cleared flag is not raised again
    assert dict(Flag.objects.values_list("person", "status")) == statuses


def test_an_employee_reaches_no_review_in_the_admin(employee_client, gaming_rules) -> None:
    assert employee_client.get("/admin/leaderboard/flag/").status_code == 302
    assert employee_client.get("/admin/leaderboard/gamingrule/").status_code == 302


def test_a_rule_broken_outside_the_admin_is_skipped_and_the_others_still_run(
    usage, employee, gaming_rules
) -> None:
    GamingRule.objects.filter(slug="spike").update(params={"min_z": "high"})
    usage(employee, DAY, input=30_000_000, output=100)

    flags = review.detect(start=DAY, end=DAY)

    assert [f.rule.slug for f in flags] == ["low-output"]
