"""Boards: top-only (the top places and the reader's neighbourhood, never the tail), per board."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('leaderboard', '0023_pending_tasks_outbox'),
    ]

    operations = [
        migrations.AddField(
            model_name='board',
            name='neighbours',
            field=models.PositiveSmallIntegerField(default=2, help_text='Places above and below the reader shown on a top-only board when the reader is past the top.'),
        ),
        migrations.AddField(
            model_name='board',
            name='top_n',
            field=models.PositiveSmallIntegerField(default=10, help_text='How many places a top-only board shows to everyone (ties at the last place included; at most 50).', verbose_name='top places'),
        ),
        # Boards that exist keep showing everyone (False fills their rows): hiding the tail
        # of a board people already read is a manager's choice, in the admin. New boards get
        # True from the model's default (the AlterField below).
        migrations.AddField(
            model_name='board',
            name='top_only',
            field=models.BooleanField(default=False),
        ),
        migrations.AlterField(
            model_name='board',
            name='top_only',
            field=models.BooleanField(default=True, help_text="Show the top places and each reader's own neighbourhood, never the tail: past the top, others appear with a percentile band instead of a rank.", verbose_name='top and neighbourhood only'),
        ),
        migrations.AddConstraint(
            model_name='board',
            constraint=models.CheckConstraint(condition=models.Q(('top_n__gte', 1), ('top_n__lte', 50)), name='board_top_n_one_page'),
        ),
        migrations.AddConstraint(
            model_name='board',
            constraint=models.CheckConstraint(condition=models.Q(('neighbours__lte', 10)), name='board_neighbours_few'),
        ),
    ]
