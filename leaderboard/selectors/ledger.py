"""A person's ledger: every recorded change to their standing, newest first, each with its
reason in words, read from the audit trail (badges add their grants and revocations through
their own template tag: the leaderboard never imports badges)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from leaderboard.domain.json_values import JSON
from leaderboard.models import AuditEvent, Person

# The audit actions that change a person's standing, as the services write them.
PERSON_ACTIONS = (
    "excluded from ranking",
    "included in ranking",
    "privacy changed",
    "gaming flag raised",
    "gaming flag confirmed",
    "gaming flag cleared",
)
ACCOUNT_ACTIONS = ("account attributed", "account unmatched", "marked as an agent")


@dataclass(frozen=True)
class LedgerEntry:
    at: dt.datetime
    kind: str  # for the page and tests: attribution, ranking, visibility, badge, review
    what: str
    reason: str


def standing_ledger(person: Person) -> list[LedgerEntry]:
    """Changes to person's standing recorded in the audit trail, newest first."""
    pk = person.pk
    events = AuditEvent.objects.filter(
        Q(target_type=Person._meta.label, target_id=str(pk), action__in=PERSON_ACTIONS)
        | Q(target_type="leaderboard.Account", action__in=ACCOUNT_ACTIONS)
        & (Q(details__person=pk) | Q(details__from=pk) | Q(details__to=pk))
    ).order_by("-at", "-pk")
    return [_entry(event, person) for event in events]


def _by(event: AuditEvent, person: Person) -> str:
    if event.actor_id is None:
        return "automatically"
    owner = person.user_id
    return "by you" if owner is not None and event.actor_id == owner else "by a manager"


def _text(value: JSON) -> str:
    return value if isinstance(value, str) else ""


def _entry(event: AuditEvent, person: Person) -> LedgerEntry:
    pk, details = person.pk, (event.details if isinstance(event.details, dict) else {})
    action, account = event.action, event.target
    if action == "account attributed":
        given = details.get("to") == pk
        return LedgerEntry(
            event.at,
            "attribution",
            f"The account {account} was {'given to you' if given else 'taken from you'}, "
            "with its whole usage history",
            f"Re-attributed {_by(event, person)}",
        )
    if action == "marked as an agent":
        return LedgerEntry(
            event.at,
            "attribution",
            f"The account {account} is an agent now (automation, ranked apart): its usage no "
            "longer counts for you",
            f"Marked {_by(event, person)}",
        )
    if action == "account unmatched":
        return LedgerEntry(
            event.at,
            "attribution",
            f"The account {account} is no longer yours, with its whole usage history",
            f"Automatically: {_text(details.get('why')) or 'its owner changed'}",
        )
    if action == "excluded from ranking":
        return LedgerEntry(
            event.at,
            "ranking",
            "You were excluded from ranking (every board, team figure and badge)",
            f"{_text(details.get('reason'))} ({_by(event, person)})",
        )
    if action == "included in ranking":
        return LedgerEntry(
            event.at, "ranking", "You are counted in ranking again", f"Decided {_by(event, person)}"
        )
    if action.startswith("gaming flag"):
        return _review_entry(event, person, details)
    shown = dict(Person.Visibility.choices).get(_text(details.get("to")), "")
    return LedgerEntry(
        event.at,
        "visibility",
        f"You now appear on boards {str(shown).lower()}",
        f"Changed {_by(event, person)}",
    )


def _review_entry(event: AuditEvent, person: Person, details: dict[str, JSON]) -> LedgerEntry:
    day = _text(details.get("day"))
    if event.action == "gaming flag raised":
        return LedgerEntry(
            event.at,
            "review",
            f"Your usage of {day} is held for review: it counts toward no board, badge or "
            "score until a manager decides",
            f"Rule {_text(details.get('rule'))}: {_text(details.get('reason'))}",
        )
    if event.action == "gaming flag confirmed":
        return LedgerEntry(
            event.at,
            "review",
            f"The hold on {day} was confirmed: that day stays out",
            f"Reviewed {_by(event, person)}",
        )
    return LedgerEntry(
        event.at,
        "review",
        f"The hold on {day} was cleared: that day counts again",
        f"Reviewed {_by(event, person)}",
    )
