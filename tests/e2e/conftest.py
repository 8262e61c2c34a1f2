"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("PIGP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium package to run browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev dependencies install it
        pytest.skip("playwright is not installed")
    # Playwright's sync API runs an event loop in this thread; Django's ORM would then refuse
    # the synchronous queries of fixtures and assertions.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def demo_server(browser, transactional_db, live_server) -> str:
    """The live server's URL, with the demo data loaded."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from pigp.core.demo import load_demo

    load_demo()
    return live_server.url


@pytest.fixture
def page_errors() -> list[str]:
    """JavaScript errors and console errors of the test's page; the test fails if any is left.

    A test that provokes one on purpose (an error page's status shows as a console error)
    removes it from this list once it has checked it.
    """
    return []


@pytest.fixture
def page(browser, demo_server, page_errors) -> Iterator[object]:
    context = browser.new_context(base_url=demo_server, locale="fr-FR")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: page_errors.append(f"page error on {page.url}: {exc}"))
    page.on(
        "console",
        lambda msg: (
            page_errors.append(f"console {msg.type} on {page.url}: {msg.text}")
            if msg.type == "error"
            else None
        ),
    )
    yield page
    context.close()
    assert not page_errors, "the browser reported errors:\n" + "\n".join(page_errors)


def serious_violations(page) -> list[dict]:
    """axe-core's violations of impact serious or critical on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v.get('helpUrl', '')})")
        for node in v["nodes"][:5]:
            lines.append(f"    {node.get('target')}: {node.get('failureSummary', '')[:300]}")
    return "\n".join(lines)


@pytest.fixture
def assert_accessible():
    def check(page, what: str) -> None:
        violations = serious_violations(page)
        assert not violations, f"axe-core on {what} ({page.url}):\n{describe(violations)}"

    return check
