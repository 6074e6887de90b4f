"""Ingest's writes, one module per thing written; callers import the module they need.

connections  connect_provider (commands) and save_connection (admin): a connection and its
             usage source; check_connection, check_source_name
runs         what every pull and file import shares: one at a time per connection (exclusive),
             skipped and interrupted runs, rejected rows kept for review, batches recorded
pulls        pull_connection: a provider's usage over a window, recorded as an IngestRun
deletions    facts a complete pull no longer saw: settled, or held until a manager confirms
uploads      usage files: import_usage_file (command), queue_usage_file and import_upload
             (an admin upload the worker imports)
"""
