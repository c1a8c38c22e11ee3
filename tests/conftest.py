from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tenantd.runtime import sqlite_url

from .databases import required_pg_database
from .support import Server, start_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

    from .browser.entra_page import RedirectListener


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One tenantd per test module (tests in a module share its directory)."""
    running = start_server(tmp_path_factory.mktemp("tenantd"))
    yield running
    running.stop()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[Server]:
    """A tenantd of the test's own."""
    running = start_server(tmp_path / "tenantd")
    yield running
    running.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that takes it runs on SQLite and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    with required_pg_database() as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One headless Debian Chromium per test module, driven by Playwright; each test opens its own context."""
    from playwright.sync_api import sync_playwright

    from .browser.entra_page import launch

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def browser_context(chromium: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) for one test."""
    from .browser.entra_page import new_context

    context = new_context(chromium)
    context.set_default_timeout(20_000)
    yield context
    context.close()


@pytest.fixture(scope="module")
def redirect_listener() -> Iterator[RedirectListener]:
    """A web app's redirect URI on a loopback port, answering in the test process."""
    from .browser.entra_page import RedirectListener

    listener = RedirectListener()
    yield listener
    listener.close()
