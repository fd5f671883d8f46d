"""Fixtures of the browser tests."""

from __future__ import annotations

import pytest

from tests.e2e.browser_support import Server


@pytest.fixture
def server(app):
    server = Server(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()
