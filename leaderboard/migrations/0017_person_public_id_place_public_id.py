from django.db import migrations, models

# People get a random public id for their URLs (they were /people/<pk>/, which anyone could
# count through). It is added empty here, filled by 0018 and made unique and required by
# 0019; places carry it so that a board's links need no query per row.


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboard", "0016_usage_version_moves_on_changed_facts"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="public_id",
            field=models.CharField(editable=False, max_length=22, null=True),
        ),
        migrations.AddField(
            model_name="place",
            name="public_id",
            field=models.CharField(db_default="", max_length=22),
        ),
    ]
