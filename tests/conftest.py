import os
import uuid

import pytest
import redis
from django.conf import settings

from tests.factories import StaffFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    from connex.celery import app

    app.conf.task_always_eager = True


@pytest.fixture
def staff(db):
    return StaffFactory(username="alice")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                  "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


@pytest.fixture
def staff_page(browser, live_server, transactional_db):
    """A browser page signed in as a staff member, against the live test server."""
    StaffFactory(username="browser-staff")
    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", "browser-staff")
    page.fill("#id_password", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url("**/customers/")
    yield page
    context.close()


@pytest.fixture
def portal_login():
    """Signs a test client in to the portal as a contact (setting a known password)."""

    def login(client, contact, password="portal-pass-1234"):
        contact.set_password(password)
        contact.save(update_fields=["password"])
        response = client.post("/portal/login/", {"email": contact.email, "password": password})
        assert response.status_code == 302, response.content[:500]
        return client

    return login


@pytest.fixture
def api_client():
    """api_client(*perms, scopes=("read", "write"), user=None) -> an APIClient sending a token's key.

    The token's user is a staff member holding exactly `perms` (plus those it already had); the
    client's `.user` and `.token` are the ones used.
    """
    from rest_framework.test import APIClient

    from tests.factories import ApiTokenFactory, grant

    def make(*perms, scopes=("read", "write"), user=None):
        user = grant(user or StaffFactory(perms=()), *perms)
        token = ApiTokenFactory(user=user, scopes=scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
        client.user, client.token = user, token
        return client

    return make


@pytest.fixture
def worker(transactional_db, settings):
    """A real Celery worker in this process (threads) consuming the Redis broker's default queue."""
    from celery.contrib.testing.worker import start_worker

    from connex.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING"):
        yield
    app.conf.task_always_eager = True


@pytest.fixture
def own_versions(monkeypatch):
    """The routing and token versions under keys of this test's own: a parallel worker's bump would
    only add reloads, and could hide a missing one or an extra round trip."""
    from apitokens import cache as token_cache
    from calls import api as calls_api
    from routing import cache as routing_cache

    prefix = f"connex:test-{uuid.uuid4().hex[:10]}:"
    for name in ("VERSION_KEY", "ACCOUNTS_KEY", "ACCOUNT_KEY"):
        monkeypatch.setattr(routing_cache, name, prefix + getattr(routing_cache, name).split(":", 2)[2])
    monkeypatch.setattr(token_cache, "VERSION_KEY", prefix + "apitokens:version")
    monkeypatch.setattr(calls_api, "TOKENS_VERSION_KEY", token_cache.VERSION_KEY)
    yield prefix
    # Not the switch path's client: its 0.2 s timeout is for one call, and this walks every key.
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=30)
    keys = list(client.scan_iter(match=f"{prefix}*", count=10_000))
    if keys:
        client.delete(*keys)
    client.close()
