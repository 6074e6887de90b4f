"""The admin site: one module per part of the domain; importing them registers their models."""

from django.contrib import admin

from . import boards, people, review, usage
from .base import DateDrillDownChangeList, RecordAdmin

admin.site.site_header = "Tokenboard administration"
admin.site.site_title = "Tokenboard admin"
admin.site.site_url = "/"

__all__ = ["DateDrillDownChangeList", "RecordAdmin", "boards", "people", "review", "usage"]
