"""Usage: its sources, recording what providers and files report (priced, attributed to
accounts, written through the facts' bulk path), and pruning what a source no longer reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from leaderboard.db import facts
from leaderboard.domain.pricing import PriceBook
from leaderboard.domain.records import MAX_COUNT, UNATTRIBUTED, UsageRecord
from leaderboard.domain.text import normalize_email
from leaderboard.models import Account, ModelPrice, Source, UsageFact
from leaderboard.services import review
from leaderboard.services.accounts import make_agents, match_accounts
from leaderboard.signals import usage_recorded

BATCH_SIZE = 2000
MICRODOLLAR = Decimal("0.000001")
COUNT_FIELDS = ("input", "cache_read", "cache_write", "output", "requests")


class UsageOutOfRange(ValueError):
    """A fact's count is above MAX_COUNT (readers reject such rows; this catches the rest)."""


def ensure_source(*, name: str, provider: str) -> Source:
    """Return the source called name, creating it for provider if needed."""
    source, _ = Source.objects.get_or_create(name=name, defaults={"provider": provider})
    return source


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
                facts.FactRow(
                    source_id=source.pk,
                    day=r.day,
                    account_id=account,
                    model=r.model,
                    input=r.input,
                    cache_read=r.cache_read,
                    cache_write=r.cache_write,
                    output=r.output,
                    requests=r.requests,
                    cost=None if cost is None else cost.quantize(MICRODOLLAR),
                    cost_estimated=estimated,
                    recorded_at=recorded_at,
                )
            )
        written = facts.upsert(rows, keep_unchanged=keep_unchanged)
        if announce:
            days = [r.day for r, _ in merged.values()]
            announce_usage(source=source, start=min(days), end=max(days))
    return written


def announce_usage(*, source: Source, start: dt.date, end: dt.date) -> None:
    """Run the gaming rules over [start, end], then tell derived data (after commit) that a
    source's facts for those days changed: badges and rankings never see a day the rules
    hold."""
    review.detect_after_pull(start=start, end=end)
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
