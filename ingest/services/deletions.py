"""Facts a complete pull no longer saw: deleted, or held for a manager to confirm."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from leaderboard.models import UsageFact, User
from leaderboard.services import audit, usage

from .. import overlap
from ..models import Connection, HeldFact, IngestRun
from ..selectors import forget_pull_state
from .runs import exclusive


def settle_deletions(
    *, connection: Connection, run: IngestRun, start: dt.date, end: dt.date
) -> int:
    """Delete the facts in [start, end] that a complete pull (run) did not see; return how many.

    More than INGEST_PRUNE_MAX_SHARE of the window's facts is what a provider that ends its
    pages early looks like: those are held, and the run marked for review, unless an earlier
    held pull missed them too. A fact whose usage the pull set aside (ingest.overlap) was
    listed, not missed: it is deleted, never held. Earlier holds in the window are settled
    either way.
    """
    source, pulled_at = connection.source, run.started_at
    unseen = dict(usage.unseen_usage(source=source, start=start, end=end, pulled_at=pulled_at))
    earlier = HeldFact.objects.filter(
        run__connection=connection, run__status=IngestRun.Status.HELD, day__range=(start, end)
    ).exclude(run=run)
    agreed = unseen.keys() & set(earlier.values_list("fact_id", flat=True))
    aside = overlap.set_aside_facts(connection=connection, run=run, ids=unseen.keys())
    rest = unseen.keys() - agreed - aside
    window = UsageFact.objects.filter(source=source, day__range=(start, end)).count()
    held = rest if len(rest) > settings.INGEST_PRUNE_MAX_SHARE * window else set()
    deleted = usage.delete_usage(source=source, ids=unseen.keys() - held, recorded_before=pulled_at)
    earlier.delete()  # deleted now, held again below, or seen after all
    for other in connection.runs.filter(status=IngestRun.Status.HELD).exclude(pk=run.pk):
        left = other.held_facts.count()
        if left != other.held:
            other.held = left
            if not left:
                other.status = IngestRun.Status.SUCCEEDED
                other.error = (
                    f"Its held deletions were settled by the pull of {pulled_at:%Y-%m-%d %H:%M}."
                )
            other.save(update_fields=["held", "status", "error"])
    if held:
        HeldFact.objects.bulk_create(
            HeldFact(run=run, fact_id=pk, day=unseen[pk]) for pk in sorted(held)
        )
        share = f"{settings.INGEST_PRUNE_MAX_SHARE:.0%}"
        run.status, run.held = IngestRun.Status.HELD, len(held)
        run.error = (
            f"{len(held)} of the window's {window} stored fact(s) were not in this pull and are "
            f"held, not deleted: more than {share}, as when a provider ends its pages early. "
            "If the provider did revise them away, confirm the deletion (Ingest runs, "
            "action: Confirm held deletions); a later pull that misses them too deletes them."
        )
    return deleted


def confirm_held_deletions(*, run: IngestRun, by: User | None = None) -> int:
    """Delete the facts a held pull did not see, as a manager confirms; return how many."""
    connection = run.connection
    with exclusive(connection), transaction.atomic():
        run = IngestRun.objects.select_for_update().get(pk=run.pk)
        if run.status != IngestRun.Status.HELD:
            return 0
        held = list(run.held_facts.values_list("fact_id", "day"))
        # none a later pull wrote again (it saw them revised)
        deleted = usage.delete_usage(
            source=connection.source,
            ids=[pk for pk, _ in held],
            recorded_before=run.started_at,
        )
        run.held_facts.all().delete()
        run.status, run.held = IngestRun.Status.SUCCEEDED, 0
        run.error = (
            f"{deleted} fact(s) it did not see deleted, as confirmed by {by or 'a command'}."
        )
        run.save(update_fields=["status", "held", "error"])
        audit.record(
            actor=by,
            action="held deletions confirmed",
            target=run,
            details={"held": len(held), "deleted": deleted},
        )
        if deleted:
            days = [day for _, day in held]
            usage.announce_usage(source=connection.source, start=min(days), end=max(days))
    forget_pull_state()
    return deleted
