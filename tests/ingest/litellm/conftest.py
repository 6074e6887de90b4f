"""A LiteLLM proxy stub and a connection to it; small pages, so days and users span them."""

from __future__ import annotations

import pytest

from ingest.providers.litellm import LiteLLMAdapter
from tests.helpers import connect
from tests.stub_litellm import LiteLLMStub


@pytest.fixture
def litellm_api(httpserver, monkeypatch) -> LiteLLMStub:
    # Alice's five rows come on three pages (a day split over two), the users on two
    monkeypatch.setattr(LiteLLMAdapter, "activity_page_size", 2)
    monkeypatch.setattr(LiteLLMAdapter, "users_page_size", 2)
    return LiteLLMStub(httpserver)


@pytest.fixture
def litellm_connection(db, litellm_api):
    return connect("litellm-proxy", "litellm", litellm_api.base_url)
