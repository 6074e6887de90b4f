"""Ingest's writes, one module per thing written; callers import the module they need."""
