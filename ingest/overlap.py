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
deleted, like facts; a fact whose usage it sets aside as a whole is deleted, never held as
if the provider had left it out), and a Claude Code pull that changed facts queues a pull of
the Anthropic connections over its window, so the outcome does not depend on which pulled
first.

Claude Code usage received over OpenTelemetry (an `otlp` receiver) is the same usage a
Claude Code report lists, but told by the exporter, not by the provider: where a Claude Code
report has the person and day, the report stands and the receiver's records are set aside,
whichever arrived first (RIVALS); two receivers give way to each other as the first stands;
Anthropic's reports give way to either. A Claude Code pull that changed facts re-folds the
receivers over its window, so telemetry that came first is set aside there. A receiver folds
about every minute, so a fold does not queue a pull of the Anthropic connections over its
window: only over the days where its source counts a person for the first time whom an
Anthropic source already counts (NEWLY_COUNTED_RECHECKS), the one way a double count can
exist after it (an Anthropic pull made later gives way by itself). A later fold of the same
people and days finds no one new and queues nothing; a fold that counts someone new that day
queues one pull of those days at most, however often it folds afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace

from django.db.models import Exists, OuterRef, Q
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
# Sources of the key's provider also stand for usage that connections of these providers list
# again, but are folded too often to queue those pulls after every change: only over the days
# where the source counts a person for the first time whom one of them counts already.
NEWLY_COUNTED_RECHECKS = {Provider.OTLP: [Provider.ANTHROPIC]}

# Who a source counts on a day: (day, e-mail, person id).
PersonDay = tuple[dt.date, str, int | None]

# Whose facts stand for a record, by the provider of the connection recording it and the
# record's overlap; otherwise a record's overlap names the one provider that stands for it.
RIVALS: dict[tuple[str, str], tuple[str, ...]] = {
    (Provider.ANTHROPIC, Provider.CLAUDE_CODE): (Provider.CLAUDE_CODE, Provider.OTLP),
    (Provider.OTLP, Provider.CLAUDE_CODE): (Provider.CLAUDE_CODE, Provider.OTLP),
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


def set_aside_facts(*, connection: Connection, run: IngestRun, ids: Iterable[int]) -> set[int]:
    """Of the connection's facts ids, those whose usage the run set aside as a whole (the
    provider listed it: it is no longer counted, not missing)."""
    ids = set(ids)
    if not ids:
        return set()
    aside = SetAside.objects.filter(
        connection=connection,
        run=run,
        day=OuterRef("day"),
        account=OuterRef("account__external_id"),
        model=OuterRef("model"),
    )
    return set(
        UsageFact.objects.filter(pk__in=ids, source=connection.source)
        .filter(Exists(aside))
        .values_list("pk", flat=True)
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


def counted_people(
    *, connection: Connection, start: dt.date, end: dt.date
) -> set[PersonDay] | None:
    """Who the connection's source counts on each day of [start, end], if someone new there
    queues a recheck (NEWLY_COUNTED_RECHECKS); otherwise None (and no query)."""
    if Provider(connection.provider) not in NEWLY_COUNTED_RECHECKS:
        return None
    return {
        (day, normalize_email(email), person_id)
        for day, email, person_id in UsageFact.objects.filter(
            source=connection.source, day__range=(start, end), account__kind=Account.Kind.USER
        )
        .values_list("day", "account__email", "account__person_id")
        .distinct()
    }


def queue_rechecks(
    *,
    connection: Connection,
    start: dt.date,
    end: dt.date,
    counted_before: set[PersonDay] | None = None,
) -> list[int]:
    """After commit, queue a pull of [start, end] of every enabled connection whose usage
    this connection's source may stand for, or, for a source in NEWLY_COUNTED_RECHECKS, of
    the days where it counts someone new (not in counted_before) whom such a connection's
    source counts already; return their ids."""
    from .tasks import pull_connection  # the tasks module imports the services

    windows = {
        pk: (start, end)
        for pk in Connection.objects.filter(
            provider__in=REPORTED_AGAIN_BY.get(Provider(connection.provider), []), enabled=True
        ).values_list("pk", flat=True)
    }
    if counted_before is not None:
        counted = counted_people(connection=connection, start=start, end=end) or set()
        windows |= newly_counted_windows(connection=connection, newcomers=counted - counted_before)
    for pk, (first, last) in windows.items():
        outbox.queue_on_commit(
            pull_connection, pk, trigger="recheck", start=first.isoformat(), end=last.isoformat()
        )
    return list(windows)


def newly_counted_windows(
    *, connection: Connection, newcomers: set[PersonDay]
) -> dict[int, tuple[dt.date, dt.date]]:
    """The days (first, last) of each enabled connection of NEWLY_COUNTED_RECHECKS whose
    source counts one of the newcomers on their day, by connection id."""
    providers = NEWLY_COUNTED_RECHECKS.get(Provider(connection.provider), [])
    if not providers or not newcomers:
        return {}
    keys = {(day, who) for day, email, person in newcomers for who in (email, person) if who}
    days: dict[int, set[dt.date]] = {}
    for pk, day, email, person_id in (
        Connection.objects.filter(provider__in=providers, enabled=True)
        .filter(
            source__counts_toward_totals=True,
            source__usage__day__in={day for day, _, _ in newcomers},
            source__usage__account__kind=Account.Kind.USER,
        )
        .filter(
            Q(source__usage__account__email__in={e for _, e, _ in newcomers if e})
            | Q(source__usage__account__person_id__in={p for _, _, p in newcomers if p})
        )
        .values_list(
            "pk",
            "source__usage__day",
            "source__usage__account__email",
            "source__usage__account__person_id",
        )
        .distinct()
    ):
        if (day, normalize_email(email)) in keys or (day, person_id) in keys:
            days.setdefault(pk, set()).add(day)
    return {pk: (min(found), max(found)) for pk, found in days.items()}
