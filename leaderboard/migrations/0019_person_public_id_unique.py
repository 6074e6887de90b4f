import leaderboard.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboard", "0018_fill_person_public_ids"),
    ]

    operations = [
        migrations.AlterField(
            model_name="person",
            name="public_id",
            field=models.CharField(
                default=leaderboard.models.new_public_id,
                editable=False,
                max_length=22,
                unique=True,
            ),
        ),
    ]
