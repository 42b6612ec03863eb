"""Fixtures for the real-browser suite: one JupyterLab server and one Chromium per session.

Chromium is Debian's (``apt-get install -y chromium``), driven by Python Playwright; without
it the suite skips, unless ``GANKIT_REQUIRE_BROWSER=1`` (CI), where it fails.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from .labdriver import CHROMIUM, Lab, launch_browser, start_lab

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

# Console messages that are not faults of the page under test, each with why.
HARMLESS_CONSOLE = [
    # Chromium asks for /favicon.ico on a fresh profile before JupyterLab sets its own icon.
    re.compile(r"favicon\.ico"),
]


def _require_browser() -> bool:
    return os.environ.get("GANKIT_REQUIRE_BROWSER", "") not in ("", "0")


def _need_chromium() -> None:
    if os.path.exists(CHROMIUM):
        return
    why = f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    if _require_browser():
        pytest.fail(f"GANKIT_REQUIRE_BROWSER=1 but {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """JupyterLab on 127.0.0.1, rooted at the repository, stopped (by PID) at the end."""
    _need_chromium()
    server = start_lab()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = launch_browser(p)
        try:
            yield chromium
        finally:
            chromium.close()


class PageWatch:
    """Console errors, uncaught exceptions and off-machine requests seen by one page."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.offsite: list[str] = []

    def on_console(self, msg) -> None:
        if msg.type != "error":
            return
        text = msg.text
        where = msg.location.get("url", "") if msg.location else ""
        if any(p.search(text) or p.search(where) for p in HARMLESS_CONSOLE):
            return
        self.errors.append(f"console.error: {text} ({where})")

    def on_pageerror(self, exc) -> None:
        self.errors.append(f"uncaught: {exc}")

    def on_route(self, route) -> None:
        url = route.request.url
        if re.match(r"^(https?|wss?)://127\.0\.0\.1[:/]", url) or url.startswith(
            ("data:", "blob:")
        ):
            route.continue_()
        else:
            self.offsite.append(url)
            route.abort()


@pytest.fixture
def page(browser, lab) -> Iterator[tuple[object, PageWatch]]:
    """A fresh browser context and page with its console watched; nothing leaves 127.0.0.1.

    The kernels the page started are shut down afterwards (each holds a JAX runtime).
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    watch = PageWatch()
    context.route("**/*", watch.on_route)
    pg = context.new_page()
    pg.on("console", watch.on_console)
    pg.on("pageerror", watch.on_pageerror)
    try:
        yield pg, watch
    finally:
        context.close()
        lab.shutdown_kernels()


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    """The harness writes notebooks into artifacts/; nbval must not collect them."""
    if ARTIFACTS == collection_path or ARTIFACTS in collection_path.parents:
        return True
    return None
