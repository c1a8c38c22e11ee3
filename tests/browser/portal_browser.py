"""The portal in headless Chromium: signing in to it, axe-core's accessibility check of a page, a screenshot
of each page, and moving through a page with the keyboard alone.

axe-core comes from its npm package, installed once into a cache directory outside the repository
(``TENANTD_TEST_CACHE``, default ``~/.cache/tenantd-tests``) and injected into the page. Playwright injects a
script inline, which the portal's CSP forbids, so the contexts that run axe bypass the CSP (the CSP itself is
checked in tests/http/test_portal.py); that also means a name that escaped the templates would run here.
Screenshots go to ``.tenantd/screenshots/portal`` (ignored by git), or ``TENANTD_SCREENSHOTS``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from .entra_page import answer_stay_signed_in, enter_credentials

AXE_VERSION = "4.10.3"
AXE_CACHE = Path(os.environ.get("TENANTD_TEST_CACHE", Path.home() / ".cache" / "tenantd-tests")) / "axe"
SCREENSHOTS = Path(os.environ.get("TENANTD_SCREENSHOTS", Path(__file__).parents[2] / ".tenantd" / "screenshots"
                                  / "portal"))
BLOCKING = ("serious", "critical")


def axe_script() -> Path:
    """axe.min.js of axe-core ``AXE_VERSION``, installed with npm on first use (under a file lock)."""
    script = AXE_CACHE / "node_modules" / "axe-core" / "axe.min.js"
    AXE_CACHE.mkdir(parents=True, exist_ok=True)
    stamp = AXE_CACHE / "installed"
    with (AXE_CACHE / ".lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == AXE_VERSION and script.exists():
            return script
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is not installed: the portal's accessibility tests install axe-core with it")
        result = subprocess.run([npm, "install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund",
                                 "--prefix", str(AXE_CACHE), f"axe-core@{AXE_VERSION}"],
                                capture_output=True, text=True, timeout=300, check=False)
        if result.returncode != 0 or not script.exists():
            pytest.fail(f"npm install axe-core@{AXE_VERSION} failed: {result.stderr[-500:]}")
        stamp.write_text(AXE_VERSION)
    return script


def portal_context(browser: Browser) -> BrowserContext:
    """A fresh profile that accepts the local CA's certificate and lets axe be injected (see above)."""
    context = browser.new_context(ignore_https_errors=True, bypass_csp=True)
    context.set_default_timeout(20_000)
    return context


def sign_in(page: Page, portal_url: str, user_name: str, password: str) -> None:
    """Open the portal, sign in on tenantd's page, land on the portal."""
    page.goto(portal_url)
    enter_credentials(page, user_name, password)
    answer_stay_signed_in(page, True)
    page.wait_for_url(lambda url: "/portal/" in url and "signed-in" not in url)
    page.get_by_role("button", name="Sign out").wait_for()


def accessible(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(axe_script()))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]][:3]}
            for v in result["violations"] if v["impact"] in BLOCKING]


def check_page(page: Page, name: str) -> None:
    """A screenshot of the page as ``name``.png, and no serious or critical accessibility violation."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert accessible(page) == [], name


def focused_text(page: Page) -> str:
    return str(page.evaluate("() => { const e = document.activeElement; "
                             "return (e.labels && e.labels[0] ? e.labels[0].innerText : '') || e.innerText || "
                             "e.value || e.getAttribute('aria-label') || ''; }")).strip()


def tab_to(page: Page, text: str, limit: int = 60) -> None:
    """Press Tab until the focused element's text (or its label) starts with ``text``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused_text(page).startswith(text):
            return
    raise AssertionError(f"Tab never reached {text!r}")
