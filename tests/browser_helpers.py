"""Chromium for the browser tests: one set of flags, one browser fixture, one way to
keep a page offline. Import the fixture into a test module:

    from browser_helpers import browser, keep_offline  # noqa: F401  (fixture)
"""
from __future__ import annotations

import re

import pytest

# headless, as root in CI, nothing that phones home
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="module")
def browser(chromium_path):
    """A headless Chromium for one test module, on a fresh, empty profile of its own."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


def keep_offline(ctx, allowed: str) -> list:
    """Abort every request of the browser context CTX whose URL does not match the regex
    ALLOWED; returns the list the aborted URLs are appended to (assert it stays empty)."""
    outside = []

    def route(r):
        if re.match(allowed, r.request.url):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()
    ctx.route("**/*", route)
    return outside
