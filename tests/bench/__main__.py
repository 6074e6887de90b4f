"""`python -m tests.bench --scale quick|full [--skip-seed] [--output PATH]`: what `make bench` runs.

The bench sets Django up itself (it is no management command), against the database in
DATABASE_URL: `make bench` points that at a PostgreSQL database of the bench's own.
"""

from __future__ import annotations

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leaderboard.settings")
django.setup()

from tests.bench.run import main  # noqa: E402 - the models load only once Django is set up

sys.exit(main())
