"""Gaming review: run the rules over changed days, hold what they flag, and the reviews
(a manager confirms or clears; the person adds a note). Every step is audited, and the
person's ledger shows it (leaderboard.selectors.ledger)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import DatabaseError, transaction
from django.utils import timezone

from leaderboard.db import review as db
from leaderboard.domain import gaming
from leaderboard.domain.text import clean_text
from leaderboard.models import Flag, GamingRule, Person, UsageFact, User
from leaderboard.services import audit
from leaderboard.signals import usage_recorded

log = logging.getLogger(__name__)

NOTE_MAX = 1000


class ReviewError(ValueError):
    """A review step that cannot be taken (a note on someone else's flag, an empty note)."""


def _rules() -> list[gaming.Rule]:
    """The enabled rules; one whose params were broken outside the admin (which checks them)
    is skipped with a warning rather than stopping every pull."""
    rules = []
    for rule in GamingRule.objects.filter(enabled=True).order_by("pk"):
        try:
            gaming.validate(rule.kind, rule.params)
        except gaming.RuleError as exc:
            log.warning("gaming rule %s skipped: %s", rule.slug, exc)
            continue
        rules.append(gaming.Rule(rule.pk, rule.kind, rule.params))
    return rules


def detect(*, start: dt.date, end: dt.date) -> list[Flag]:
    """Run every enabled rule over the person-days in [start, end] (reading back as far as
    the rules look), flag what they find and hold those days; return the new flags.

    Idempotent: a person-day keeps one flag per rule, so a second run adds none, and a flag a
    manager cleared stays cleared. Facts written since a day was held are held too.

    Cost: every person's daily usage per model over the window and its look back (56 days
    by default) is read into memory and judged in Python: 6 s for a 3-day pull at 5,000
    people (tests/bench). At 100,000 people the rules' aggregates belong in SQL."""
    rules = _rules()
    if not rules or start > end:
        return []
    first = start - dt.timedelta(days=gaming.lookback(rules))
    hits = gaming.evaluate(rules, db.daily_usage(first, end), start=start, end=end)
    with transaction.atomic():
        known = set(
            Flag.objects.filter(day__range=(first, end)).values_list("person_id", "day", "rule_id")
        )
        new = [
            Flag(
                person_id=hit.person,
                day=hit.day,
                rule_id=hit.rule,
                reason=hit.reason,
                evidence=hit.evidence,
            )
            for hit in hits
            if (hit.person, hit.day, hit.rule) not in known
        ]
        Flag.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        flags = list(
            Flag.objects.filter(day__range=(first, end), status=Flag.Status.HELD).select_related(
                "person", "rule"
            )
        )
        created = [f for f in flags if (f.person_id, f.day, f.rule_id) not in known]
        for flag in created:
            audit.record(
                actor=None,
                action="gaming flag raised",
                target=flag.person,
                details={
                    "flag": flag.pk,
                    "day": flag.day.isoformat(),
                    "rule": flag.rule.slug,
                    "reason": flag.reason,
                },
            )
        # Held days that gained facts since (a later pull) hold those too.
        holding = Flag.objects.filter(day__range=(first, end), status__in=db.HOLDING)
        db.mark_held(holding.values_list("person_id", "day"))
    return created


def detect_after_pull(*, start: dt.date, end: dt.date) -> None:
    """detect() for the days a pull or import changed, before derived data hears of them
    (so badges and rankings never count a day the rules hold), a month at a time as the full
    pass runs (a year-long file import once held the whole year in memory). A failure is
    logged and the pull keeps its facts: the nightly full pass runs the rules again."""
    try:
        with transaction.atomic():
            for first, last in _months_of(start, end):
                detect(start=first, end=last)
    except DatabaseError:
        log.exception("gaming detection for %s..%s failed", start, end)


# A full pass runs month by month: a window's rows (and its look back) are held in memory.
FULL_PASS_DAYS = 31


def _months_of(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """[start, end] in windows of FULL_PASS_DAYS: what one detect() holds in memory is a
    window's usage and its look back, whatever the span."""
    windows = []
    while start <= end:
        last = min(end, start + dt.timedelta(days=FULL_PASS_DAYS - 1))
        windows.append((start, last))
        start = last + dt.timedelta(days=1)
    return windows


def detect_all(*, days: int | None = None, today: dt.date | None = None) -> list[Flag]:
    """detect() over all history (or the last `days` days), a month at a time; badges
    re-judge all history after, if anything new was held."""
    end = today or timezone.now().date()
    if days is not None:
        start = end - dt.timedelta(days=days - 1)
    else:
        first = UsageFact.objects.order_by("day").values_list("day", flat=True).first()
        if first is None:
            return []
        start = first
    created: list[Flag] = []
    for first, last in _months_of(start, end):
        created += detect(start=first, end=last)
    if created:
        _rejudge(None, None)
    return created


def save_rule(*, rule: GamingRule, by: User | None) -> GamingRule:
    """Save a rule (its params checked against its kind), audited; the next run of the rules
    (after a pull, nightly, or the admin's "run now") flags by it."""
    try:
        gaming.validate(rule.kind, rule.params)
    except gaming.RuleError as exc:
        raise ReviewError(str(exc)) from exc
    with transaction.atomic():
        rule.save()
        audit.record(
            actor=by,
            action="gaming rule saved",
            target=rule,
            details={"kind": rule.kind, "params": rule.params, "enabled": rule.enabled},
        )
    return rule


def _rejudge(start: dt.date | None, end: dt.date | None) -> None:
    # Badges re-judge those periods (after commit); stored rankings went stale already (the
    # held facts' UPDATE moved the usage version).
    transaction.on_commit(lambda: usage_recorded.send(sender=Flag, start=start, end=end))


def _review(flags: Iterable[Flag], *, status: str, by: User | None, action: str) -> list[Flag]:
    now = timezone.now()
    changed = []
    with transaction.atomic():
        for flag in (
            Flag.objects.select_for_update()
            .filter(pk__in=[f.pk for f in flags])
            .select_related("person", "rule")
        ):
            if flag.status == status:
                continue
            before = flag.status
            flag.status, flag.reviewed_by, flag.reviewed_at = status, by, now
            flag.save(update_fields=["status", "reviewed_by", "reviewed_at"])
            audit.record(
                actor=by,
                action=action,
                target=flag.person,
                details={
                    "flag": flag.pk,
                    "day": flag.day.isoformat(),
                    "rule": flag.rule.slug,
                    "from": before,
                    "to": status,
                },
            )
            changed.append(flag)
        if changed and db.mark_held((f.person_id, f.day) for f in changed):
            days = [f.day for f in changed]
            _rejudge(min(days), max(days))
    return changed


def confirm(*, flags: Iterable[Flag], by: User | None) -> list[Flag]:
    """Confirm flags: their person-days stay out of every ranking, badge and score."""
    return _review(flags, status=Flag.Status.CONFIRMED, by=by, action="gaming flag confirmed")


def clear(*, flags: Iterable[Flag], by: User | None) -> list[Flag]:
    """Clear flags: their person-days count again (unless another flag holds the day), and
    badges are judged again for those days."""
    return _review(flags, status=Flag.Status.CLEARED, by=by, action="gaming flag cleared")


def add_note(*, flag: Flag, person: Person, note: str, by: User | None) -> Flag:
    """The flagged person's note for the reviewer (replacing an earlier one)."""
    if flag.person_id != person.pk:
        raise ReviewError("only the flagged person can add a note")
    text = clean_text(note, max_length=NOTE_MAX)
    if not text:
        raise ReviewError("write a note for the reviewer")
    with transaction.atomic():
        flag.person_note = text
        flag.save(update_fields=["person_note"])
        audit.record(
            actor=by,
            action="gaming flag note",
            target=person,
            details={"flag": flag.pk, "day": flag.day.isoformat()},
        )
    return flag
