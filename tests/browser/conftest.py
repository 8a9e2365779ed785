"""A real service (gunicorn, the shipped model) and headless Chromium driven by Playwright.

Chromium comes from Debian's package (/usr/bin/chromium); Playwright cannot download
a browser here. Without either, these tests skip and say why, unless
REQUIRE_BROWSER=1 (CI), where they fail. Screenshots go to test-output/browser/.
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.helpers.servers import ROOT, Gunicorn

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
SHOTS = ROOT / "test-output" / "browser"


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright)"
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which("chromium")):
        return "Debian's chromium is not installed (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def browser():
    problem = _missing()
    if problem:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def served(tmp_path_factory):
    server = Gunicorn(model_dir=ROOT / "models" / "default", workers=1,
                      log_dir=tmp_path_factory.mktemp("browser-server"))
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


@pytest.fixture
def open_page(browser, served):
    """open_page(width, height) -> a page on the service; fails the test on any console
    error or failed request, but for the HTTP statuses in `expected` (Chromium logs a
    console error for every 4xx answer, the expected ones too)."""
    contexts, problems = [], []

    def open_(width=1000, height=800, expected=()):
        def console(message):
            if message.type == "error" and not any(
                    f"status of {status}" in message.text for status in expected):
                problems.append(message.text)

        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.on("console", console)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("requestfailed", lambda r: problems.append(f"{r.url}: {r.failure}"))
        page.on("response", lambda r: r.status >= 500 and problems.append(f"{r.url}: {r.status}"))
        page.goto(served + "/")
        page.wait_for_function("() => document.getElementById('model').textContent"
                               ".includes('%')")
        return page

    yield open_
    for context in contexts:
        context.close()
    assert problems == [], problems


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
