"""Reads: rankings and totals, computed in SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, IntegerField, Max, Q, QuerySet, Sum
from django.db.models.functions import Cast, Lower

from leaderboard.db.metrics import COST_PARTS, aggregate
from leaderboard.db.rankings import ranked
from leaderboard.domain import capabilities
from leaderboard.domain.periods import Period, Scope, period_of
from leaderboard.domain.pricing import cost_basis
from leaderboard.domain.text import normalize_email
from leaderboard.models import Account, Board, Person, Team, UsageFact


def month_of(day: dt.date) -> Period:
    """The calendar month that contains day."""
    return period_of(Board.Period.MONTH, day)


def standings(*, period: Period) -> QuerySet[Person]:
    """People with usage in the period, ranked by total tokens (ties share a rank)."""
    return ranked(Scope(lens=Board.Lens.TOTAL_TOKENS, period=period)).select_related("team")


MICRODOLLAR = Decimal("0.000001")


@dataclass(frozen=True)
class UsageTotal:
    """One row of an export: a person's (or one unattributed source's) totals."""

    email: str
    source: str
    input: int
    output: int
    cache_read: int
    cache_write: int
    requests: int | None  # None: none of this usage came from a source that reports requests
    cost_usd: Decimal | None
    cost_estimated: bool
    cost_basis: str  # pricing.cost_basis: billed, estimated, partial, not priced


def usage_totals(*, start: dt.date, end: dt.date, by_source: bool) -> list[UsageTotal]:
    """Per-person totals over [start, end]; usage no person owns is one row per source."""
    facts = UsageFact.objects.filter(day__range=(start, end))
    reporting = ~Q(source__in=[s.pk for s in capabilities.without_requests()] or [-1])
    attributed = facts.filter(account__person__isnull=False)
    unowned = facts.filter(account__person__isnull=True)
    sums = {
        "input_sum": Sum("input"),
        "output_sum": Sum("output"),
        "cache_read_sum": Sum("cache_read"),
        "cache_write_sum": Sum("cache_write"),
        "requests_sum": Sum("requests", filter=reporting),
        "cost_sum": Sum("cost"),
        **COST_PARTS,
    }
    person_keys = (
        ["account__person__email", "source__name"] if by_source else ["account__person__email"]
    )
    rows = [
        *attributed.values(*person_keys).annotate(**sums).order_by(*person_keys),
        *unowned.values("source__name").annotate(**sums).order_by("source__name"),
    ]
    return [
        UsageTotal(
            email=row.get("account__person__email", ""),
            source=row.get("source__name", ""),
            input=row["input_sum"],
            output=row["output_sum"],
            cache_read=row["cache_read_sum"],
            cache_write=row["cache_write_sum"],
            requests=row["requests_sum"],  # no reporting facts: NULL
            cost_usd=None if row["cost_sum"] is None else row["cost_sum"].quantize(MICRODOLLAR),
            cost_estimated=bool(row["estimated"]),
            cost_basis=cost_basis(
                cost=row["cost_sum"], estimated=bool(row["estimated"]), unpriced=row["unpriced"]
            ),
        )
        for row in rows
    ]


def unpriced_models() -> list[str]:
    """Models with usage whose cost was neither reported nor estimable."""
    return list(
        UsageFact.objects.filter(cost__isnull=True)
        .values_list("model", flat=True)
        .distinct()
        .order_by("model")
    )


@dataclass(frozen=True)
class UnownedUsage:
    source: str
    tokens: int
    cost: Decimal | None
    accounts: int
    cost_basis: str


def unowned_usage(*, start: dt.date, end: dt.date) -> list[UnownedUsage]:
    """Usage no person owns (unattributed or unmatched), per source, over [start, end]; an
    agent's usage is automation's, not missing a person, so it is not counted here."""
    rows = (
        UsageFact.objects.filter(day__range=(start, end), account__person__isnull=True)
        .exclude(account__kind=Account.Kind.AGENT)
        .values("source__name")
        .annotate(
            tokens=aggregate("total_tokens"),
            cost_sum=Sum("cost"),
            accounts=Count("account", distinct=True),
            **COST_PARTS,
        )
        .order_by("-tokens")
    )
    return [
        UnownedUsage(
            r["source__name"],
            int(r["tokens"]),
            r["cost_sum"],
            r["accounts"],
            # estimated and unpriced come from **COST_PARTS, which the stubs' plugin leaves out
            cost_basis(cost=r["cost_sum"], estimated=bool(r["estimated"]), unpriced=r["unpriced"]),  # type: ignore[misc]
        )
        for r in rows
    ]


def unmatched_accounts() -> QuerySet[Account]:
    """Accounts with usage but no person, biggest first (agents are nobody's by design).
    Usage is tokens or requests: a source that reports no tokens (GitHub Copilot's IDE use)
    still has usage someone should own."""
    return (
        Account.objects.filter(person__isnull=True)
        .exclude(kind=Account.Kind.AGENT)
        .annotate(
            tokens=aggregate("total_tokens", prefix="usage__"),
            requests=Sum("usage__requests"),
            last_day=Max("usage__day"),
        )
        .filter(Q(tokens__gt=0) | Q(requests__gt=0))
        .order_by("-tokens", "-requests")
    )


@dataclass(frozen=True)
class UnattributedPage:
    """This month's usage no person owns, and the accounts with usage but no person."""

    period: Period
    unowned: list[UnownedUsage]
    accounts: list[Account]


def unattributed_page(*, today: dt.date) -> UnattributedPage:
    period = month_of(today)
    unowned = unowned_usage(start=period.start, end=period.end)
    return UnattributedPage(period, unowned, list(unmatched_accounts()[:100]))


def people_by_email(emails: Iterable[str]) -> dict[str, Person]:
    """The people with these e-mails (compared case-insensitively, like every e-mail here)."""
    wanted = {normalize_email(e) for e in emails if e}
    if not wanted:
        return {}
    people = Person.objects.select_related("team").annotate(email_ci=Lower("email"))
    return {normalize_email(p.email): p for p in people.filter(email_ci__in=wanted)}


AGENTS_SHOWN = 200  # the agents page lists the busiest; the admin's Accounts list has all


@dataclass(frozen=True)
class AgentRow:
    """An agent, its owner (a manager's choice, else as the provider named them), and its
    usage."""

    account: Account
    owner_email: str
    owner: Person | None  # a manager's choice, else the person with the owner's e-mail
    owner_team: Team | None  # a manager's choice, else the owner's team
    tokens: int  # this month
    cost: Decimal | None
    cost_basis: str
    all_time: int
    last_day: dt.date | None


@dataclass(frozen=True)
class AgentsPage:
    """Agents (automation: ranked with no person) and their usage this month, busiest first."""

    period: Period
    agents: list[AgentRow]
    total: int


def agents_page(*, today: dt.date) -> AgentsPage:
    period = month_of(today)
    counted = Q(usage__source__counts_toward_totals=True)
    month = counted & Q(usage__day__range=(period.start, period.end))
    agents = (
        Account.objects.filter(kind=Account.Kind.AGENT)
        .annotate(
            month_tokens=aggregate("total_tokens", prefix="usage__", filter=month),
            month_cost=Sum("usage__cost", filter=month),
            estimated=Max(Cast("usage__cost_estimated", IntegerField()), filter=month),
            unpriced=Count("usage", filter=month & Q(usage__cost__isnull=True)),
            all_time=aggregate("total_tokens", prefix="usage__", filter=counted),
            last_day=Max("usage__day", filter=counted),
        )
        .filter(all_time__gt=0)
        .order_by(
            F("month_tokens").desc(nulls_last=True), F("all_time").desc(nulls_last=True), "pk"
        )
    )
    shown = list(agents.select_related("owner_person__team", "owner_team")[:AGENTS_SHOWN])
    owners = people_by_email(a.owner_email for a in shown if a.owner_person_id is None)
    rows = [
        AgentRow(
            account=a,
            owner_email=a.owner_person.email if a.owner_person else a.owner_email,
            owner=(owner := a.owner_person or owners.get(normalize_email(a.owner_email))),
            owner_team=a.owner_team or (owner.team if owner else None),
            tokens=int(a.month_tokens or 0),
            cost=a.month_cost,
            cost_basis=cost_basis(
                cost=a.month_cost,
                estimated=bool(a.estimated),
                unpriced=a.unpriced,
            ),
            all_time=int(a.all_time),
            last_day=a.last_day,
        )
        for a in shown
    ]
    return AgentsPage(period, rows, agents.count())
