"""Every badge of the default catalogue that counts volume or habit (all but the efficiency
ratios) gains an efficiency floor (issue 20 §3): it is earned only with at least 0.01 output
tokens per input-side token over its period, so that burning tokens earns nothing. A badge
a manager already gave a floor keeps theirs; undoing removes only the floor set here."""

from django.db import migrations

FLOOR = "min_output_per_input"
VALUE = "0.01"
FLOORED = [
    "token-legend",
    "session-immortal",
    "model-connoisseur",
    "token-volume",
    "first-steps",
    "steady-hand",
    "weekly-podium",
    "polyglot",
    "daily-driver",
]


def forwards(apps, schema_editor):
    Badge = apps.get_model("badges", "Badge")
    for badge in Badge.objects.filter(slug__in=FLOORED):
        if FLOOR not in badge.params:
            badge.params = {**badge.params, FLOOR: VALUE}
            badge.save(update_fields=["params"])


def remove_floors(apps, schema_editor):
    Badge = apps.get_model("badges", "Badge")
    for badge in Badge.objects.filter(slug__in=FLOORED):
        if badge.params.get(FLOOR) == VALUE:
            badge.params = {k: v for k, v in badge.params.items() if k != FLOOR}
            badge.save(update_fields=["params"])


class Migration(migrations.Migration):
    dependencies = [("badges", "0006_award_references_checked_per_statement")]
    operations = [migrations.RunPython(forwards, remove_floors)]
