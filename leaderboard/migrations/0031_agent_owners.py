"""An agent's owner as a manager chose it: a person or a team; views of the agents' board
and pages are logged (issue 20 §1)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('leaderboard', '0030_board_score_lens_default_for_new_boards'),
    ]

    operations = [
        migrations.AddField(
            model_name='account',
            name='owner_person',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='owned_agents', to='leaderboard.person'),
        ),
        migrations.AddField(
            model_name='account',
            name='owner_team',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='agents', to='leaderboard.team'),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.CheckConstraint(condition=models.Q(('kind', 'agent'), models.Q(('owner_person__isnull', True), ('owner_team__isnull', True)), _connector='OR'), name='account_only_agents_have_owners'),
        ),
        migrations.AlterField(
            model_name='pageview',
            name='kind',
            field=models.CharField(choices=[('board', 'Board'), ('person', 'Person page'), ('team', 'Team page'), ('export', 'Export'), ('agents', 'Agents board'), ('agent', 'Agent page')], max_length=10),
        ),
    ]
