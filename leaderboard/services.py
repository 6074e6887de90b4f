"""Writes to the core domain. Every change to people, accounts and usage goes through here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from . import audit, facts
from .models import Account, ModelPrice, Person, Source, Team, UsageFact
from .pricing import PriceBook
from .records import MAX_COUNT, UNATTRIBUTED, AccountRecord, UsageRecord
from .signals import usage_recorded
from .text import clean_text

# Names from outside (the directory, providers) are stored as clean_text makes them, so that
# no invisible or direction-changing character makes one name look like another.
PERSON_NAME_MAX, TEAM_NAME_MAX, ACCOUNT_NAME_MAX = 200, 120, 200

BATCH_SIZE = 2000
MICRODOLLAR = Decimal("0.000001")
COUNT_FIELDS = ("input", "cache_read", "cache_write", "output", "requests")


class AttributionError(Exception):
    """An account cannot be given to that person."""


class UsageOutOfRange(ValueError):
    """A fact's count is above MAX_COUNT (readers reject such rows; this catches the rest)."""


def normalize_email(email: str | None) -> str:
    """Return the form e-mails are compared in: trimmed, lower case."""
    return (email or "").strip().lower()


def ensure_source(*, name: str, provider: str) -> Source:
    """Return the source called name, creating it for provider if needed."""
    source, _ = Source.objects.get_or_create(name=name, defaults={"provider": provider})
    return source


def ensure_team(*, name: str) -> Team:
    """Return the team called name (made clean text), creating it if needed."""
    team, _ = Team.objects.get_or_create(name=clean_text(name, max_length=TEAM_NAME_MAX))
    return team


def add_person(*, email: str, display_name: str = "", team: Team | None = None) -> Person:
    """Create or update the person with this e-mail, then give them their matching accounts."""
    email = normalize_email(email)
    display_name = clean_text(display_name, max_length=PERSON_NAME_MAX)
    person = Person.objects.filter(email__iexact=email).first()
    if person is None:
        person = Person.objects.create(
            email=email, display_name=display_name or email.split("@")[0], team=team
        )
    else:
        person.display_name = display_name or person.display_name
        person.team = team or person.team
        person.save(update_fields=["display_name", "team"])
    match_accounts()
    return person


@transaction.atomic
def sync_accounts(*, provider: str, records: Iterable[AccountRecord]) -> int:
    """Create or update provider accounts from a directory listing; return how many changed."""
    wanted = {r.external_id: r for r in records}
    existing = {
        a.external_id: a
        for a in Account.objects.filter(provider=provider, external_id__in=list(wanted))
    }
    new, changed, agents = [], [], []
    for external_id, record in wanted.items():
        email, owner = normalize_email(record.email), normalize_email(record.owner_email)
        name = clean_text(record.name, max_length=ACCOUNT_NAME_MAX)
        account = existing.get(external_id)
        if account is None:
            new.append(
                Account(
                    provider=provider,
                    external_id=external_id,
                    kind=record.kind,
                    email=email,
                    name=name,
                    owner_email=owner,
                )
            )
            continue
        before = (account.email, account.name, account.owner_email, account.person_id)
        if record.kind == Account.Kind.USER:
            # A users list may leave out an e-mail it gave before: keep what we know.
            account.email = email or account.email
            account.owner_email = owner or account.owner_email
        else:
            # A keys list is the whole truth about a key: whom it acts as may change.
            if email != account.email and account.matched_by == Account.MatchedBy.EMAIL:
                _unmatch(account, reason="its e-mail changed")
            account.email, account.owner_email = email, owner
        account.name = name or account.name
        if record.kind == Account.Kind.AGENT and account.kind != Account.Kind.AGENT:
            agents.append(account)
        elif before != (account.email, account.name, account.owner_email, account.person_id):
            changed.append(account)
    Account.objects.bulk_create(new, batch_size=BATCH_SIZE, ignore_conflicts=True)
    Account.objects.bulk_update(
        changed, ["email", "name", "owner_email", "person", "matched_by"], batch_size=BATCH_SIZE
    )
    make_agents(accounts=agents)
    match_accounts()
    return len(new) + len(changed) + len(agents)


def _unmatch(account: Account, *, reason: str) -> None:
    """Take an account from the person its e-mail gave it to (the caller saves it)."""
    if account.person_id is not None:
        audit.record(
            actor=None,
            action="account unmatched",
            target=account,
            details={"person": account.person_id, "why": reason},
        )
        transaction.on_commit(lambda: usage_recorded.send(sender=Account, start=None, end=None))
    account.person, account.matched_by = None, ""


def make_agents(*, accounts: Iterable[Account]) -> int:
    """Turn accounts a provider says are automation into agents: an agent is never a
    person's, whoever matched it before (a manager included), and the change is audited."""
    accounts = list(accounts)
    for account in accounts:
        if account.person_id is not None:
            _unmatch(account, reason="the provider says it is a service account (an agent)")
        account.kind = Account.Kind.AGENT
    with transaction.atomic():
        return Account.objects.bulk_update(
            accounts,
            ["kind", "email", "name", "owner_email", "person", "matched_by"],
            batch_size=BATCH_SIZE,
        )


def match_accounts() -> int:
    """Give every unmatched account with an e-mail to the person with that e-mail."""
    # A manager's decision (matched_by set, even to nobody) is never overridden.
    unmatched = (
        Account.objects.filter(person__isnull=True, matched_by="")
        .exclude(kind__in=[Account.Kind.UNATTRIBUTED, Account.Kind.AGENT])
        .exclude(email="")
    )
    emails = {normalize_email(e) for e in unmatched.values_list("email", flat=True)}
    if not emails:
        return 0
    with transaction.atomic():
        people = {
            p.email_ci: p.pk
            for p in Person.objects.annotate(email_ci=Lower("email")).filter(email_ci__in=emails)
        }
        if settings.AUTO_CREATE_PEOPLE:
            missing = emails - people.keys()
            names = {
                email: clean_text(name, max_length=PERSON_NAME_MAX)
                for email, name in unmatched.filter(email__in=missing)
                .exclude(name="")
                .values_list("email", "name")
            }
            created = Person.objects.bulk_create(
                [Person(email=e, display_name=names.get(e) or e.split("@")[0]) for e in missing],
                batch_size=BATCH_SIZE,
            )
            people |= {p.email: p.pk for p in created}
        accounts = list(unmatched.filter(email__in=list(people)))
        for account in accounts:
            account.person_id = people[normalize_email(account.email)]
            account.matched_by = Account.MatchedBy.EMAIL
        matched = Account.objects.bulk_update(accounts, ["person", "matched_by"])
        if matched:
            transaction.on_commit(lambda: usage_recorded.send(sender=Account, start=None, end=None))
    return matched


def attribute_account(*, account: Account, person: Person | None) -> Account:
    """Give an account (and so its whole history) to a person, or take it back with None."""
    if person is not None and account.kind == Account.Kind.UNATTRIBUTED:
        raise AttributionError(
            "Unattributed usage has no single owner and cannot be given to a person."
        )
    if person is not None and account.kind == Account.Kind.AGENT:
        raise AttributionError(
            "An agent (a service account, or a key acting as one) is automation: its usage "
            "is never credited to a person. Its creator or owner is recorded as its owner."
        )
    with transaction.atomic():
        account.person = person
        account.matched_by = Account.MatchedBy.MANAGER
        account.save(update_fields=["person", "matched_by"])
        transaction.on_commit(lambda: usage_recorded.send(sender=Account, start=None, end=None))
    return account


Key = tuple[dt.date, str, str]


def _priced(records: Iterable[UsageRecord], book: PriceBook) -> Iterable[tuple[UsageRecord, bool]]:
    """Each record with its cost: the provider's, else an estimate at the list price
    effective on its day (then True), else None. Records are priced one by one, before they
    are summed: rows of one key may differ in tier, cache-write duration or region."""
    for r in records:
        if r.cost is None and (cost := book.estimate(r)) is not None:
            yield replace(r, cost=cost), True
        else:
            yield r, False


def _aggregate(
    records: Iterable[tuple[UsageRecord, bool]],
) -> dict[Key, tuple[UsageRecord, bool]]:
    """Sum records that share a key (a provider may split one day, e.g. local and remote,
    or one tier from another). The sum has a cost only if every part has one, and is
    estimated if any part is."""
    merged: dict[Key, tuple[UsageRecord, bool]] = {}
    for r, estimated in records:
        key = (r.day, r.account, r.model)
        if (prev := merged.get(key)) is not None:
            prev_r, prev_estimated = prev
            cost = None if prev_r.cost is None or r.cost is None else prev_r.cost + r.cost
            r = replace(
                r, cost=cost, **{f: getattr(prev_r, f) + getattr(r, f) for f in COUNT_FIELDS}
            )
            estimated = cost is not None and (estimated or prev_estimated)
        merged[key] = (r, estimated)
    return merged


def _kept_estimates(
    *, source: Source, accounts: dict[str, int], merged: dict[Key, tuple[UsageRecord, bool]]
) -> dict[tuple[int, dt.date, str], Decimal]:
    """The stored estimated costs of facts that a pull reports again with the same counts:
    they keep them, so that a price entered later reprices no fact that did not change."""
    wanted = {
        (accounts[r.account], r.day, r.model): tuple(getattr(r, f) for f in COUNT_FIELDS)
        for r, estimated in merged.values()
        if estimated
    }
    if not wanted:
        return {}
    days = [day for _, day, _ in wanted]
    stored = UsageFact.objects.filter(
        source=source,
        day__range=(min(days), max(days)),
        account_id__in={account for account, _, _ in wanted},
        model__in={model for _, _, model in wanted},
        cost_estimated=True,
        cost__isnull=False,
    ).values_list("account_id", "day", "model", *COUNT_FIELDS, "cost")
    return {tuple(row[:3]): row[-1] for row in stored if wanted.get(tuple(row[:3])) == row[3:-1]}


def _accounts_for(*, provider: str, records: Iterable[UsageRecord]) -> dict[str, int]:
    """Account ids for the records' accounts, creating unknown ones (unmatched until
    match_accounts finds their e-mail); a record that says its account is an agent makes it
    one."""
    wanted: dict[str, UsageRecord] = {}
    for r in records:
        if r.account not in wanted or (r.email and not wanted[r.account].email):
            wanted[r.account] = r
    found = dict(
        Account.objects.filter(provider=provider, external_id__in=wanted).values_list(
            "external_id", "pk"
        )
    )
    said_agents = [e for e in found if wanted[e].account_kind == Account.Kind.AGENT]
    if said_agents:
        make_agents(
            accounts=Account.objects.filter(provider=provider, external_id__in=said_agents)
            .exclude(kind=Account.Kind.AGENT)
            .select_for_update()
        )
    missing = wanted.keys() - found.keys()
    if missing:
        Account.objects.bulk_create(
            [
                Account(
                    provider=provider,
                    external_id=e,
                    kind=Account.Kind.UNATTRIBUTED if e == UNATTRIBUTED else wanted[e].account_kind,
                    email=normalize_email(wanted[e].email),
                    owner_email=normalize_email(wanted[e].owner_email),
                )
                for e in missing
            ],
            ignore_conflicts=True,
        )
        found |= dict(
            Account.objects.filter(provider=provider, external_id__in=missing).values_list(
                "external_id", "pk"
            )
        )
        if any(wanted[e].email for e in missing):
            match_accounts()
    return found


def record_usage(
    *,
    source: Source,
    records: Iterable[UsageRecord],
    recorded_at: dt.datetime | None = None,
    announce: bool = True,
    keep_unchanged: bool = False,
) -> int:
    """Upsert usage facts for a source: a key seen again replaces its values. Return rows.

    A pull of many pages passes announce=False and calls announce_usage once at the end, so
    derived data (badges) is recomputed once per pull, not once per page. A pull also passes
    keep_unchanged: a fact it finds with the same values is left as it is and noted as seen
    at recorded_at (leaderboard.facts), which prune_usage respects.
    """
    merged = _aggregate(_priced(records, PriceBook(ModelPrice.objects.all())))
    if not merged:
        return 0
    for r, _ in merged.values():
        if (most := max(getattr(r, f) for f in COUNT_FIELDS)) > MAX_COUNT:
            raise UsageOutOfRange(
                f"{r.day} {r.account[:80]} {r.model[:80]}: a count of {most} is above the "
                f"limit of {MAX_COUNT:,} per fact"
            )
    recorded_at = recorded_at or timezone.now()
    with transaction.atomic():
        accounts = _accounts_for(provider=source.provider, records=[r for r, _ in merged.values()])
        kept = _kept_estimates(source=source, accounts=accounts, merged=merged)
        rows = []
        for r, estimated in merged.values():
            account = accounts[r.account]
            cost = kept.get((account, r.day, r.model), r.cost) if estimated else r.cost
            rows.append(
                (
                    source.pk,
                    r.day,
                    account,
                    r.model,
                    r.input,
                    r.cache_read,
                    r.cache_write,
                    r.output,
                    r.requests,
                    None if cost is None else cost.quantize(MICRODOLLAR),
                    estimated,
                    recorded_at,
                )
            )
        written = facts.upsert(rows, keep_unchanged=keep_unchanged)
        if announce:
            days = [r.day for r, _ in merged.values()]
            announce_usage(source=source, start=min(days), end=max(days))
    return written


def announce_usage(*, source: Source, start: dt.date, end: dt.date) -> None:
    """Tell derived data (after commit) that a source's facts for [start, end] changed."""
    transaction.on_commit(
        lambda: usage_recorded.send(sender=Source, source_id=source.pk, start=start, end=end)
    )


def prune_usage(
    *, source: Source, start: dt.date, end: dt.date, recorded_before: dt.datetime
) -> int:
    """Delete a source's facts in [start, end] that a complete re-pull, made at
    recorded_before, no longer reports (it neither wrote them nor saw them unchanged)."""
    return facts.prune(source_id=source.pk, start=start, end=end, pulled_at=recorded_before)


def unseen_usage(
    *, source: Source, start: dt.date, end: dt.date, pulled_at: dt.datetime
) -> list[tuple[int, dt.date]]:
    """The ids and days of a source's facts in [start, end] that the pull made at pulled_at
    neither wrote nor saw unchanged: what prune_usage would delete."""
    return facts.unseen(source_id=source.pk, start=start, end=end, pulled_at=pulled_at)


def delete_usage(*, source: Source, ids: Iterable[int], recorded_before: dt.datetime) -> int:
    """Delete a source's facts by id, but none written since recorded_before; return how many."""
    return facts.delete(source_id=source.pk, ids=ids, recorded_before=recorded_before)


def forget_seen(*, source: Source, through: dt.datetime) -> None:
    """Forget which unchanged facts the source's pulls up to `through` saw: each pull does
    when it ends, after pruning (a failed or partial pull prunes nothing)."""
    facts.forget_seen(source_id=source.pk, through=through)


def count_source(*, source: Source, counted: bool) -> Source:
    """Include a source in leaderboard totals, or exclude it (its facts stay stored)."""
    source.counts_toward_totals = counted
    source.save(update_fields=["counts_toward_totals"])
    transaction.on_commit(
        lambda: usage_recorded.send(sender=Source, source_id=source.pk, start=None, end=None)
    )
    return source
