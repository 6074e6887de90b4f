"""The default catalogue's badges follow their data (policy "live" instead of "permanent").

Sources report a period at different times: a connection added later backfills weeks that
had settled, and a second provider's usage lowers a week's cache-read share, a month's output
per dollar or a rank. Awarded for good on the first source's data, Cache Wizard went to 55% of
the demo's people and Frugal Finisher to 68% (all three demo sources pulled one after the
other, as make run does), where the whole data gives 42% and 25%. A held gaming day, an account
marked as an agent and an exclusion should take a badge away too. Live badges are re-judged
whenever their days change: revoked when the condition no longer holds, restored if it holds
again. Token Legend keeps "holder". A badge whose policy a manager changed keeps it; undoing
puts back only what this migration set."""

from django.db import migrations

DEFAULTS = (
    "cache-wizard",
    "daily-driver",
    "first-steps",
    "frugal-finisher",
    "lean-prompter",
    "model-connoisseur",
    "polyglot",
    "session-immortal",
    "steady-hand",
    "token-volume",
    "weekly-podium",
)


def forwards(apps, schema_editor):
    Badge = apps.get_model("badges", "Badge")
    Badge.objects.filter(slug__in=DEFAULTS, policy="permanent").update(policy="live")


def backwards(apps, schema_editor):
    Badge = apps.get_model("badges", "Badge")
    Badge.objects.filter(slug__in=DEFAULTS, policy="live").update(policy="permanent")


class Migration(migrations.Migration):
    dependencies = [("badges", "0010_calibrate_default_catalogue")]
    operations = [migrations.RunPython(forwards, backwards)]
