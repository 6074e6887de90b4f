"""Model prices from a date on (a change is a new row), with a 1-hour cache-write rate,
service-tier, long-context and regional multipliers, and the page each price was read on.

Prices stored before this migration apply from 2020-01-01: from the start of any usage.
"""

import datetime
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('leaderboard', '0020_account_agents'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='modelprice',
            options={'ordering': ['model', 'effective_from']},
        ),
        migrations.AddField(
            model_name='modelprice',
            name='batch_multiplier',
            field=models.DecimalField(blank=True, decimal_places=4, help_text='Of every rate, for batch usage (0.5: half price). Empty: not offered or not known, and batch usage is not priced.', max_digits=6, null=True),
        ),
        migrations.AddField(
            model_name='modelprice',
            name='cache_write_1h_per_million',
            field=models.DecimalField(blank=True, decimal_places=6, help_text='Empty: the model has no 1-hour writes (usage reporting some is not priced).', max_digits=12, null=True, verbose_name='1-hour cache write per million'),
        ),
        migrations.AddField(
            model_name='modelprice',
            name='confirmed',
            field=models.BooleanField(default=False, help_text="Every rate and multiplier was read on the provider's own page at source_url."),
        ),
        migrations.AddField(
            model_name='modelprice',
            name='effective_from',
            field=models.DateField(default=datetime.date(2020, 1, 1), help_text="The first UTC day this price applies to; it applies until the model's next price. A change is a new row: the rates of a saved row are not edited."),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='modelprice',
            name='flex_multiplier',
            field=models.DecimalField(blank=True, decimal_places=4, help_text='As batch, for flex.', max_digits=6, null=True),
        ),
        migrations.AddField(
            model_name='modelprice',
            name='long_context_input_multiplier',
            field=models.DecimalField(blank=True, decimal_places=4, help_text='Of the input, cache-read and cache-write rates.', max_digits=6, null=True),
        ),
        migrations.AddField(
            model_name='modelprice',
            name='long_context_output_multiplier',
            field=models.DecimalField(blank=True, decimal_places=4, max_digits=6, null=True),
        ),
        migrations.AddField(
            model_name='modelprice',
            name='long_context_threshold',
            field=models.BigIntegerField(blank=True, help_text='Prompts longer than this many tokens cost the long-context multipliers (the whole request). Empty: no long-context price.', null=True),
        ),
        migrations.AddField(
            model_name='modelprice',
            name='note',
            field=models.TextField(blank=True, help_text='What is not confirmed, and why.'),
        ),
        migrations.AddField(
            model_name='modelprice',
            name='priority_multiplier',
            field=models.DecimalField(blank=True, decimal_places=4, help_text='As batch, for priority.', max_digits=6, null=True),
        ),
        migrations.AddField(
            model_name='modelprice',
            name='regional_multiplier',
            field=models.DecimalField(blank=True, decimal_places=4, help_text='Of every rate, when the provider reports regional inference (Anthropic: inference_geo us). Empty: no premium.', max_digits=6, null=True),
        ),
        migrations.AddField(
            model_name='modelprice',
            name='source_date',
            field=models.DateField(blank=True, help_text='When the page was read.', null=True),
        ),
        migrations.AddField(
            model_name='modelprice',
            name='source_url',
            field=models.URLField(blank=True, help_text='The page the rates are on.', max_length=500),
        ),
        migrations.AlterField(
            model_name='modelprice',
            name='cache_write_per_million',
            field=models.DecimalField(decimal_places=6, help_text='Writes of the default duration (Anthropic: 5 minutes; OpenAI: its shortest retention, the input rate on models that do not bill writes).', max_digits=12, verbose_name='cache write per million'),
        ),
        migrations.AlterField(
            model_name='modelprice',
            name='cached_input_per_million',
            field=models.DecimalField(decimal_places=6, max_digits=12, verbose_name='cache read per million'),
        ),
        migrations.AlterField(
            model_name='modelprice',
            name='model',
            field=models.CharField(help_text='Model name, or a prefix of dated snapshots (gpt-5 prices gpt-5-2025-08-07).', max_length=200),
        ),
        migrations.AddConstraint(
            model_name='modelprice',
            constraint=models.UniqueConstraint(fields=('model', 'effective_from'), name='model_price_model_effective_from'),
        ),
        migrations.AddConstraint(
            model_name='modelprice',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('long_context_threshold__isnull', True), ('long_context_input_multiplier__isnull', True), ('long_context_output_multiplier__isnull', True)), models.Q(('long_context_threshold__gte', 0), ('long_context_input_multiplier__gt', 0), ('long_context_output_multiplier__gt', 0)), _connector='OR'), name='model_price_long_context_complete'),
        ),
        migrations.AddConstraint(
            model_name='modelprice',
            constraint=models.CheckConstraint(condition=models.Q(('input_per_million__gte', 0), ('cached_input_per_million__gte', 0), ('cache_write_per_million__gte', 0), ('output_per_million__gte', 0), models.Q(('cache_write_1h_per_million__lt', 0), _negated=True), models.Q(('batch_multiplier__isnull', True), ('batch_multiplier__gt', 0), _connector='OR'), models.Q(('priority_multiplier__isnull', True), ('priority_multiplier__gt', 0), _connector='OR'), models.Q(('flex_multiplier__isnull', True), ('flex_multiplier__gt', 0), _connector='OR'), models.Q(('regional_multiplier__isnull', True), ('regional_multiplier__gt', 0), _connector='OR')), name='model_price_rates_non_negative'),
        ),
    ]
