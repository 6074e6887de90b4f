"""The one signal: usage changed (sent on commit), so derived data can catch up."""

from django.dispatch import Signal

# Sent with source_id, start and end (dates) after facts for that window are committed.
usage_recorded = Signal()
