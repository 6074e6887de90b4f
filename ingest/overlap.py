"""Counted once: which source's figures stand where two report the same usage.

The rule. Some usage is reported twice: a user's Claude Code usage is in the Claude Code
report (by e-mail, with its cost) and again in Anthropic's usage report (the analytics
report's rows of product `claude_code`; the legacy Messages report's OAuth rows, by
`account_id`, which are mostly Claude Code). An adapter marks such a record with the
provider of the source that may list it again (`UsageRecord.overlap`). When a pull records
it, the record is counted unless a source of that provider, counting toward totals, has
the same person (same e-mail, or an account of the same person) on the same UTC day; then
that source's figures stand for the person and day, and the record is *set aside*: stored
as a SetAside row with the reason and the standing source, listed in the admin, never in a
total. Every pull decides again for its whole window (set-aside rows it no longer finds are
deleted, like facts), and a Claude Code pull that changed facts queues a pull of the
Anthropic connections over its window, so the outcome does not depend on which pulled first.

Claude Code usage received over OpenTelemetry (an `otlp` receiver) is the same usage a
Claude Code report lists: between the two, whichever has the person and day first stands
and the other is set aside (a receiver's records and a Claude Code report's are each
other's rivals, RIVALS); Anthropic's reports give way to either. A Claude Code pull that
changed facts also re-folds the receivers over its window; a receiver's fold queues no pull
of an admin API (it folds every minute): their next scheduled pull decides again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace

from django.db.models import Q
from django.db.models.functions import Lower

from leaderboard.domain.records import UsageRecord
from leaderboard.domain.text import normalize_email
from leaderboard.models import Account, Person, Source, UsageFact
from leaderboard.services import outbox
from leaderboard.services.usage import COUNT_FIELDS

from .models import Connection, IngestRun, Provider, SetAside

# Sources of the key's provider stand for usage that connections of these providers list
# again: a pull of the first queues a pull of the second over the same days.
REPORTED_AGAIN_BY = {Provider.CLAUDE_CODE: [Provider.ANTHROPIC, Provider.OTLP]}

# Whose facts stand for a record, by the provider of the connection recording it and the
# record's overlap; otherwise a record's overlap names the one provider that stands for it.
RIVALS: dict[tuple[str, str], tuple[str, ...]] = {
    (Provider.ANTHROPIC, Provider.CLAUDE_CODE): (Provider.CLAUDE_CODE, Provider.OTLP),
    (Provider.OTLP, Provider.CLAUDE_CODE): (Provider.CLAUDE_CODE, Provider.OTLP),
    (Provider.CLAUDE_CODE, ""): (Provider.OTLP,),
}


def rivals(provider: str, record: UsageRecord) -> tuple[str, ...]:
    """The providers whose sources, having the person and day, stand for this record."""
    found = RIVALS.get((provider, record.overlap))
    if found is not None:
        return found
    return (record.overlap,) if record.overlap else ()


def settle(
    *, connection: Connection, records: list[UsageRecord]
) -> tuple[list[UsageRecord], list[tuple[UsageRecord, Source, Person | None]]]:
    """Split a batch into the records to count and those to set aside (with the source
    that stands for them and the person)."""
    provider = str(connection.provider)
    candidates = [r for r in records if rivals(provider, r)]
    if not candidates:
        return records, []
    accounts = {
        a.external_id: a
        for a in Account.objects.filter(
            provider=connection.source.provider, external_id__in={r.account for r in candidates}
        ).select_related("person")
    }

    def emails_of(r: UsageRecord) -> set[str]:
        account = accounts.get(r.account)
        return {normalize_email(r.email), normalize_email(account.email if account else "")} - {""}

    emails = set().union(*(emails_of(r) for r in candidates))
    people = {
        p.email_ci: p
        for p in Person.objects.annotate(email_ci=Lower("email")).filter(email_ci__in=emails)
    }

    def person_of(r: UsageRecord) -> Person | None:
        account = accounts.get(r.account)
        if account is not None and account.person is not None:
            return account.person
        return next((people[e] for e in sorted(emails_of(r)) if e in people), None)

    person_ids = {p.pk for r in candidates if (p := person_of(r)) is not None}
    sources = {s.pk: s for s in Source.objects.filter(counts_toward_totals=True)}
    standing: dict[tuple[str, dt.date, str | int], Source] = {}
    for rival, day, email, person_id, source_id in (
        UsageFact.objects.filter(
            source__provider__in={p for r in candidates for p in rivals(provider, r)},
            source__counts_toward_totals=True,
            day__in={r.day for r in candidates},
            account__kind=Account.Kind.USER,  # the people a report lists by e-mail
        )
        .exclude(source=connection.source)
        .filter(Q(account__email__in=emails) | Q(account__person_id__in=person_ids))
        .values_list("source__provider", "day", "account__email", "account__person_id", "source")
        .order_by("source__name")
        .distinct()
    ):
        for who in (normalize_email(email), person_id):
            if who:
                standing.setdefault((rival, day, who), sources[source_id])

    counted: list[UsageRecord] = []
    aside: list[tuple[UsageRecord, Source, Person | None]] = []
    for r in records:
        against = rivals(provider, r)
        person = person_of(r) if against else None
        keys = [*sorted(emails_of(r)), *([person.pk] if person else [])] if against else []
        stands = next(
            (
                standing[k]
                for rival in against
                for who in keys
                if (k := (rival, r.day, who)) in standing
            ),
            None,
        )
        if stands is None:
            counted.append(r)
        else:
            aside.append((r, stands, person))
    return counted, aside


def keep(
    *,
    connection: Connection,
    run: IngestRun,
    aside: Iterable[tuple[UsageRecord, Source, Person | None]],
    recorded_at: dt.datetime,
) -> int:
    """Store set-aside usage (a key seen again is replaced); return how many rows."""
    merged: dict[tuple[dt.date, str, str], tuple[UsageRecord, Source, Person | None]] = {}
    for r, source, person in aside:
        key = (r.day, r.account, r.model)
        if (prev := merged.get(key)) is not None:
            r = replace(r, **{f: getattr(prev[0], f) + getattr(r, f) for f in COUNT_FIELDS})
        merged[key] = (r, source, person)
    rows = [
        SetAside(
            connection=connection,
            run=run,
            day=r.day,
            account=r.account,
            email=normalize_email(r.email) or (person.email if person else ""),
            person=person,
            model=r.model,
            **{f: getattr(r, f) for f in COUNT_FIELDS},
            standing=source,
            reason=reason(connection=connection, record=r, standing=source, person=person),
            recorded_at=recorded_at,
        )
        for r, source, person in merged.values()
    ]
    SetAside.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["connection", "day", "account", "model"],
        update_fields=[
            "run",
            "email",
            "person",
            *COUNT_FIELDS,
            "standing",
            "reason",
            "recorded_at",
        ],
    )
    return len(rows)


def reason(
    *, connection: Connection, record: UsageRecord, standing: Source, person: Person | None
) -> str:
    who = person.email if person else (record.email or record.account)
    return (
        f"{who} is in source '{standing.name}' ({standing.provider}) on {record.day}, which "
        f"lists this {record.overlap or connection.provider} usage again; its figures stand "
        "for that person and day, "
        f"so '{connection.name}' does not count it."
    )


def prune(
    *, connection: Connection, start: dt.date, end: dt.date, recorded_before: dt.datetime
) -> int:
    """Delete set-aside rows in [start, end] that a complete pull made at recorded_before no
    longer sets aside (it counts them now, or the provider no longer reports them)."""
    deleted, _ = SetAside.objects.filter(
        connection=connection, day__range=(start, end), recorded_at__lt=recorded_before
    ).delete()
    return deleted


def queue_rechecks(*, connection: Connection, start: dt.date, end: dt.date) -> list[int]:
    """After commit, queue a pull of [start, end] of every enabled connection whose usage
    this connection's source may stand for; return their ids."""
    providers = REPORTED_AGAIN_BY.get(Provider(connection.provider), [])
    if not providers:
        return []
    from .tasks import pull_connection  # the tasks module imports the services

    ids = list(
        Connection.objects.filter(provider__in=providers, enabled=True).values_list("pk", flat=True)
    )
    for pk in ids:
        outbox.queue_on_commit(
            pull_connection, pk, trigger="recheck", start=start.isoformat(), end=end.isoformat()
        )
    return ids
