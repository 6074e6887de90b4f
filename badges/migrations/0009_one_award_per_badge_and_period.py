"""One award per person, badge and period (issue 20 §3), at the highest tier reached, with
when each tier was reached (tiers_reached), instead of one award per tier.

Existing awards are merged: of each person's awards of a badge for one period, the award of
the highest tier is kept (the highest still held, if any is), with each tier's earliest grant
in tiers_reached; the others are deleted. Undoing splits each award back into one per tier
reached, granted when that tier was. Imports no app code."""

import datetime as dt

from django.db import migrations, models

TIERS = ["bronze", "silver", "gold", "platinum", "emerald"]


def merge(apps, schema_editor):
    Award = apps.get_model("badges", "Award")
    group, groups = None, []
    for award in Award.objects.order_by(
        "person_id", "badge_id", "period_start", "period_end"
    ).iterator(chunk_size=10_000):
        key = (award.person_id, award.badge_id, award.period_start, award.period_end)
        if group is None or group[0] != key:
            group = (key, [])
            groups.append(group)
        group[1].append(award)
    keep, drop = [], []
    for _, awards in groups:
        held = [a for a in awards if a.revoked_at is None] or awards
        kept = max(held, key=lambda a: TIERS.index(a.tier))
        reached = {}
        for award in awards:
            if TIERS.index(award.tier) <= TIERS.index(kept.tier):
                when = award.granted_at.isoformat()
                reached[award.tier] = min(reached.get(award.tier, when), when)
        kept.tiers_reached = {t: reached[t] for t in TIERS if t in reached}
        kept.granted_at = min(a.granted_at for a in awards)
        keep.append(kept)
        drop += [a.pk for a in awards if a.pk != kept.pk]
    for start in range(0, len(drop), 10_000):
        Award.objects.filter(pk__in=drop[start : start + 10_000]).delete()
    Award.objects.bulk_update(keep, ["tiers_reached", "granted_at"], batch_size=2_000)


def split(apps, schema_editor):
    Award = apps.get_model("badges", "Award")
    added, regranted = [], []
    for award in Award.objects.iterator(chunk_size=10_000):
        if award.tier in award.tiers_reached:  # its own tier's award, granted when reached
            award.granted_at = dt.datetime.fromisoformat(award.tiers_reached[award.tier])
            regranted.append(award)
        for tier, when in award.tiers_reached.items():
            if tier != award.tier:
                added.append(
                    Award(
                        person_id=award.person_id,
                        badge_id=award.badge_id,
                        tier=tier,
                        period_start=award.period_start,
                        period_end=award.period_end,
                        granted_at=dt.datetime.fromisoformat(when),
                        evidence=award.evidence,
                        quiet=True,
                        noticed_at=award.noticed_at,
                        revoked_at=award.revoked_at,
                        revoked_reason=award.revoked_reason,
                    )
                )
    Award.objects.bulk_update(regranted, ["granted_at"], batch_size=2_000)
    Award.objects.bulk_create(added, batch_size=2_000)


class Migration(migrations.Migration):
    dependencies = [("badges", "0008_badge_progress_until_periods_settle")]

    operations = [
        migrations.AddField(
            model_name="award", name="tiers_reached", field=models.JSONField(default=dict)
        ),
        migrations.RunPython(merge, split),
        migrations.RemoveConstraint(
            model_name="award", name="award_once_per_person_badge_tier_period"
        ),
        migrations.AddConstraint(
            model_name="award",
            constraint=models.UniqueConstraint(
                fields=("person", "badge", "period_start", "period_end"),
                name="award_once_per_person_badge_period",
            ),
        ),
        migrations.AlterField(
            model_name="award",
            name="granted_at",
            field=models.DateTimeField(help_text="When it was first granted, at any tier."),
        ),
        migrations.AlterField(
            model_name="award",
            name="tier",
            field=models.CharField(
                choices=[
                    ("bronze", "Bronze"),
                    ("silver", "Silver"),
                    ("gold", "Gold"),
                    ("platinum", "Platinum"),
                    ("emerald", "Emerald"),
                ],
                help_text="The highest reached.",
                max_length=20,
            ),
        ),
    ]
