"""The WSGI application serves API-token calls to /api/v1/ through a lean middleware stack and
everything else through the panel's: same answers, permissions and audit, no session work."""

import io
import json

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import URLPattern, URLResolver, get_resolver

from connex.handlers import Application, machine_api_middleware
from customers.models import Customer
from tests.api_cases import audit_actors
from tests.factories import ApiTokenFactory, CustomerFactory, StaffFactory, grant

pytestmark = pytest.mark.django_db

READ = ("customers.view_customer", "customers.view_all_customers")


@pytest.fixture(scope="module")
def application():
    return Application()


def call(application, method, path, *, key=None, body=None, cookie=None, scheme="Bearer"):
    payload = json.dumps(body).encode() if body is not None else b""
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
               "SERVER_NAME": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
               "HTTP_HOST": "testserver", "wsgi.input": io.BytesIO(payload), "wsgi.url_scheme": "http",
               "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(payload)), "REMOTE_ADDR": "127.0.0.1"}
    if key is not None:
        environ["HTTP_AUTHORIZATION"] = f"{scheme} {key}"
    if cookie is not None:
        environ["HTTP_COOKIE"] = cookie
    answer = {}

    def start_response(status, headers):
        answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

    # As Django's test client does: the test's transaction must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        answer["body"] = b"".join(application(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer


def test_panel_only_middleware_is_left_out_of_the_machine_stack_and_the_rest_kept(settings):
    lean = machine_api_middleware()
    assert not set(lean) & set(settings.PANEL_ONLY_MIDDLEWARE)
    assert lean == [path for path in settings.MIDDLEWARE if path not in settings.PANEL_ONLY_MIDDLEWARE]
    for kept in ("django.middleware.security.SecurityMiddleware", "connex.middleware.RequestIdMiddleware",
                 "connex.permissions.PermissionMiddleware", "connex.middleware.AuditContextMiddleware"):
        assert kept in lean


def test_every_view_under_api_v1_is_a_rest_framework_view():
    """The machine stack has no session: nothing under /api/v1/ may be a page."""

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
                yield route, pattern.callback

    views = list(walk(get_resolver().url_patterns, ""))
    assert len(views) > 20
    assert [route for route, callback in views if not hasattr(callback, "cls")] == []


def test_a_token_call_is_answered_without_a_session(application, monkeypatch):
    CustomerFactory(name="Acme")
    token = ApiTokenFactory(user=grant(StaffFactory(perms=()), *READ), scopes=["read"])

    def panel(environ, start_response):
        raise AssertionError("a token call to /api/v1/ took the panel's stack")

    monkeypatch.setattr(application, "panel", panel)
    answer = call(application, "GET", "/api/v1/customers/", key=token.key)
    assert answer["status"] == 200, answer["body"][:300]
    assert [row["name"] for row in json.loads(answer["body"])["results"]] == ["Acme"]
    assert "Set-Cookie" not in answer["headers"] and "Cookie" not in answer["headers"].get("Vary", "")
    assert answer["headers"]["X-Request-ID"] and answer["headers"]["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in answer["headers"]


def test_token_calls_are_refused_as_before(application):
    token = ApiTokenFactory(user=StaffFactory(perms=()), scopes=["read"])
    assert call(application, "GET", "/api/v1/customers/", key="cx_nope_nope")["status"] == 401
    assert call(application, "GET", "/api/v1/customers/", key=token.key)["status"] == 403  # no permission
    assert call(application, "GET", "/api/v1/customers/", key=token.key, scheme="Token")["status"] == 403
    writer = ApiTokenFactory(user=grant(StaffFactory(perms=()), *READ), scopes=["write"])
    assert call(application, "GET", "/api/v1/customers/", key=writer.key)["status"] == 403  # no read scope


def test_a_session_cookie_beside_a_token_grants_nothing_more(application, client):
    admin = StaffFactory()  # an Administrator signed in to the panel
    client.force_login(admin)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    token = ApiTokenFactory(user=StaffFactory(perms=()), scopes=["read"])
    assert call(application, "GET", "/api/v1/customers/", key=token.key, cookie=cookie)["status"] == 403
    # Without a token the session is read as before (the panel's stack).
    assert call(application, "GET", "/api/v1/customers/", cookie=cookie)["status"] == 200


def test_pages_keep_the_panel_stack_even_with_a_token(application):
    token = ApiTokenFactory(user=grant(StaffFactory(perms=()), *READ), scopes=["read"])
    page = call(application, "GET", "/customers/", key=token.key)
    assert page["status"] == 302 and page["headers"]["Location"].startswith("/login/")
    anonymous_api = call(application, "GET", "/api/v1/customers/")
    assert anonymous_api["status"] in (401, 403)


def test_writes_through_the_machine_stack_are_audited_with_the_token_s_user(application):
    perms = (*READ, "customers.add_customer")
    token = ApiTokenFactory(user=grant(StaffFactory(perms=(), username="provisioner"), *perms), scopes=["write"])
    answer = call(application, "POST", "/api/v1/customers/", key=token.key, body={"name": "Audited", "currency": "USD"})
    assert answer["status"] == 201, answer["body"][:300]
    assert audit_actors(Customer.objects.get(name="Audited")) == ["provisioner"]


def test_a_worker_freezes_what_it_holds_once_warm_and_answers_as_before(monkeypatch):
    import gc

    from connex import handlers

    frozen = []
    monkeypatch.setattr(handlers, "FREEZE_AFTER", frozenset({3}))
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    application = Application()
    answers = [call(application, "GET", "/api/v1/customers/", key="cx_nope_nope")["status"] for _ in range(5)]
    assert answers == [401] * 5 and frozen == [True]
