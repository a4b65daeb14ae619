"""Shared fixtures for the browser tests: Playwright for Python driving Debian's Chromium.

Recipe: /work/shared/TESTING-NOTES.md. Chromium comes from the `chromium` Debian package
(`.ci/run` installs it when missing); Playwright never downloads its own browser here.

What a test gets:
- `browser`: one headless Chromium for the whole session;
- `page`: a fresh context and page per test (English, 1280×900), screenshot on failure;
- `phone_page`: the same on a phone-sized screen (390×844, touch);
- `page_as(user, language="en", phone=False)`: a page already signed in as `user` on the
  live server (session cookie forged with Django's test client, no login form round trip);
- `artifacts_dir`: tests/browser/artifacts/ (git-ignored), where screenshots are saved;
- `url(path)`: the live server's absolute URL for a path.

Every test here must be marked `@pytest.mark.browser` and use the transactional database:
the live server runs in another thread and must see the test's data.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

# Playwright's sync API runs an event loop in this thread; Django would then refuse ORM calls
# from the test body ("async context"). The test body is plain synchronous code, so allow it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("GUICHET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
]
ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests need the live server's shared database: make sure they are marked."""
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def url(live_server) -> Callable[[str], str]:
    def build(path: str) -> str:
        return f"{live_server.url}{path}"

    return build


def _new_page(browser, request: pytest.FixtureRequest, artifacts_dir: Path, **context_kwargs):
    context = browser.new_context(**context_kwargs)
    context.set_default_timeout(10_000)
    page = context.new_page()
    return context, page


def _screenshot_on_failure(request: pytest.FixtureRequest, page, artifacts_dir: Path) -> None:
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        name = request.node.name.replace("/", "_")[:120]
        # A failing screenshot must not hide the test's own failure.
        with contextlib.suppress(Exception):
            page.screenshot(path=str(artifacts_dir / f"FAILED-{name}.png"), full_page=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(autouse=True)
def _fresh_workspace_choices():
    """The workspace caches its option lists (teams, agents, categories) for a few seconds."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def page(browser, request, artifacts_dir, transactional_db, live_server) -> Iterator:
    context, page = _new_page(browser, request, artifacts_dir, viewport=DESKTOP, locale="en-GB")
    yield page
    _screenshot_on_failure(request, page, artifacts_dir)
    context.close()


@pytest.fixture
def phone_page(browser, request, artifacts_dir, transactional_db, live_server) -> Iterator:
    context, page = _new_page(
        browser, request, artifacts_dir, viewport=PHONE, is_mobile=True, has_touch=True
    )
    yield page
    _screenshot_on_failure(request, page, artifacts_dir)
    context.close()


def session_cookie_for(user) -> dict[str, str]:
    """A valid session for `user`, made by Django's test client (no password needed)."""
    client = Client()
    client.force_login(user)
    return {
        "name": django_settings.SESSION_COOKIE_NAME,
        "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
    }


@pytest.fixture
def page_as(browser, request, artifacts_dir, transactional_db, live_server):
    """Factory: `page_as(user, language="fr", phone=True)` → a signed-in Playwright page."""
    contexts = []
    pages = []

    def make(user=None, *, language: str = "en", phone: bool = False):
        kwargs = (
            {"viewport": PHONE, "is_mobile": True, "has_touch": True}
            if phone
            else {"viewport": DESKTOP}
        )
        context, page = _new_page(browser, request, artifacts_dir, **kwargs)
        cookies = [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language}]
        if user is not None:
            cookies.append(session_cookie_for(user))
        context.add_cookies([{**c, "url": live_server.url} for c in cookies])
        contexts.append(context)
        pages.append(page)
        return page

    yield make
    for page in pages:
        _screenshot_on_failure(request, page, artifacts_dir)
    for context in contexts:
        context.close()
