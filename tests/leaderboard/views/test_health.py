"""/healthz, for load balancers: 200 while the database answers (saying "degraded" without
Redis), 503 within the statement timeout when it does not."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.helpers import timed


# Serialized like the worker tests: a plain flush would re-create rows those restore.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_healthz_over_a_frozen_table_answers_503_within_the_timeout(frozen_sessions) -> None:
    response, took = timed(Client(), "/healthz")

    assert response.status_code == 503
    assert took < 3
    assert response.json()["database"] == "down"


@pytest.mark.slow
def test_healthz_says_the_cache_is_down_and_stays_200(client, redis_cache, db) -> None:
    assert client.get("/healthz").json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
    }

    redis_cache.kill()
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "down",
        "broker": "down",
    }

    redis_cache.start()
    assert client.get("/healthz").json()["status"] == "ok"
