"""A real OpenID Connect provider process on 127.0.0.1 (panva's oidc-provider, tests/sso/op,
installed by `.ci/run` with `npm ci`), and Tokenboard's settings for signing in there."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

OP_DIR = Path(__file__).parent / "sso" / "op"
NODE = shutil.which("node")
CLIENT_ID = "tokenboard-test"
CLIENT_SECRET = "tokenboard-test-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_provider(redirect_uris: list[str]) -> Iterator[str]:
    """Start the provider for these callback URLs; yield its issuer."""
    if NODE is None or not (OP_DIR / "node_modules").exists():
        pytest.skip("needs Node.js and `npm ci --prefix tests/sso/op` (CI does both)")
    port = free_port()
    process = subprocess.Popen(
        [NODE, "server.mjs"],
        cwd=OP_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={"PATH": "/usr/bin:/bin", "OP_PORT": str(port), "RP_REDIRECT": ",".join(redirect_uris)},
    )
    try:
        for line in process.stdout:
            if line.startswith("READY"):
                break
        else:
            raise RuntimeError("the OpenID provider did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def callback(base_url: str, provider_id: str) -> str:
    return f"{base_url}/accounts/oidc/{provider_id}/login/callback/"


def providers(issuer: str, provider_ids: tuple[str, ...] = ("test-op",)) -> dict[str, Any]:
    """SOCIALACCOUNT_PROVIDERS with one app per id, all at this provider (the second stands for
    a second identity provider the company configured)."""
    return {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": provider_id,
                    "name": "Test SSO" if n == 0 else f"Test SSO {n + 1}",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": issuer, "oauth_pkce_enabled": True},
                }
                for n, provider_id in enumerate(provider_ids)
            ],
        }
    }
