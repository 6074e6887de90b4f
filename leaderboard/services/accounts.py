"""Provider accounts and who they belong to: the directory of accounts providers list,
matching them to people by e-mail, agents (automation, never a person's), and a manager's
attribution."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Lower

from leaderboard.db import review as review_sql
from leaderboard.domain.records import AccountRecord
from leaderboard.domain.text import ACCOUNT_NAME_MAX, PERSON_NAME_MAX, clean_text, normalize_email
from leaderboard.models import Account, Person, Team, User
from leaderboard.services import audit
from leaderboard.signals import usage_recorded

BATCH_SIZE = 2000


class AttributionError(Exception):
    """An account cannot be given to that person."""


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


def attribute_account(
    *, account: Account, person: Person | None, by: User | None = None
) -> Account:
    """Give an account (and so its whole history) to a person, or take it back with None;
    audited, so both people's ledgers show it."""
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
        before = Account.objects.filter(pk=account.pk).values_list("person_id", flat=True).first()
        account.person = person
        account.matched_by = Account.MatchedBy.MANAGER
        account.save(update_fields=["person", "matched_by"])
        if before != account.person_id:
            # Held gaming days belong to the person flagged: the account's facts now follow
            # its new owner's flags (the nightly pass judges the new owner's days).
            review_sql.follow_owner(account.pk, account.person_id)
            audit.record(
                actor=by,
                action="account attributed",
                target=account,
                details={"from": before, "to": account.person_id},
            )
        transaction.on_commit(lambda: usage_recorded.send(sender=Account, start=None, end=None))
    return account


def set_agent(
    *,
    accounts: Iterable[Account],
    agent: bool,
    owner_person: Person | None = None,
    owner_team: Team | None = None,
    by: User | None,
) -> list[Account]:
    """Mark accounts as agents with their owner (a person or a team), or as people's
    accounts again; audited. Their usage leaves (or rejoins) people's totals, boards, team
    figures and badges, which are judged again in one pass."""
    if not agent and (owner_person or owner_team):
        raise AttributionError("Only an agent has an owner.")
    if owner_person is not None and owner_team is not None:
        raise AttributionError("An agent's owner is a person or a team, not both.")
    with transaction.atomic():
        chosen = list(Account.objects.select_for_update().filter(pk__in=[a.pk for a in accounts]))
        if any(a.kind == Account.Kind.UNATTRIBUTED for a in chosen):
            raise AttributionError("Unattributed usage is nobody's: it cannot be an agent.")
        for account in chosen:
            _set_agent(account, agent, owner_person, owner_team, by)
        if not agent:
            match_accounts()  # an e-mail gives the account back to its person
        # Badges follow: one full pass revokes what people no longer earn, or grants it.
        transaction.on_commit(lambda: usage_recorded.send(sender=Account, start=None, end=None))
    return chosen


def _set_agent(
    account: Account, agent: bool, owner: Person | None, team: Team | None, by: User | None
) -> None:
    before = (account.kind, account.person_id, account.owner_person_id, account.owner_team_id)
    if agent:
        account.kind = Account.Kind.AGENT
        account.person, account.matched_by = None, Account.MatchedBy.MANAGER
    elif account.kind == Account.Kind.AGENT:
        # What it was before is not kept: an e-mail makes it a user's, else a key's.
        account.kind = Account.Kind.USER if account.email else Account.Kind.API_KEY
        account.matched_by = ""  # matched by e-mail again (set_agent)
    account.owner_person, account.owner_team = owner, team
    account.save(update_fields=["kind", "person", "matched_by", "owner_person", "owner_team"])
    if before == (account.kind, None, account.owner_person_id, account.owner_team_id):
        return
    audit.record(
        actor=by,
        action="marked as an agent" if agent else "marked as a person's account",
        target=account,
        # "person": whose it was, so that their ledger shows it leaving them.
        details={
            "person": before[1],
            "from": before[0],
            "to": account.kind,
            "owner_person": account.owner_person_id,
            "owner_team": account.owner_team_id,
        },
    )
