"""Every list, report and API page answered with generated query parameters: never a 500.

The pages come from the URL resolver (every pattern that takes no path argument, plus the
customer-scoped ones for one customer), their parameters from their filter sets and the shared
list parameters, so a new page or filter is fuzzed without touching this file.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import ContactFactory, CustomerFactory

COMMON = ["page", "per_page", "sort", "q", "period", "month", "_export", "status", "tab", "offset"]
# Not GET pages, or pages that leave the panel (sign out, the Django admin, schema files).
SKIP = re.compile(r"^/(logout/|admin/|api/schema/|api/docs/|portal/logout/|portal/login/|healthz)")
# API pagination limits and time filters are answered by the API's own validation.
SKIP_API_PARAMS = {"limit", "period_after", "period_before", "updated_since"}

values = st.one_of(
    st.text(max_size=10),
    st.sampled_from(["-1", "0", "99999999999999999999", "9999-12", "0001-01", "daily:9999-12-31",
                     "monthly:9999-12-01", "hourly:9999-12-31T23", "weekly:9999-12-27", "2026-11-20",
                     "2026-11-20T10:00:00-19:00", "csv", "xlsx", "-name", "nonexistent", "\x00", "%", "' OR 1=1 --"]),
    st.integers(min_value=-(10**21), max_value=10**21).map(str),
)


def _walk(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def _params(pattern):
    view = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
    filterset = getattr(view, "filterset_class", None)
    names = set(COMMON)
    if filterset is not None:
        for name, item in filterset.base_filters.items():
            names.add(name)
            names.update(f"{name}{suffix}" for suffix in ("_after", "_before", "_min", "_max"))
            del item
    return sorted(names)


def pages(customer_id):
    found = []
    for route, pattern in _walk(get_resolver().url_patterns):
        route = route.replace("\\Z", "").replace("^", "").replace("$", "")
        route = route.replace("<int:pk>", str(customer_id)).replace("<int:customer_pk>", str(customer_id))
        if "<" in route or "(?P" in route:
            continue
        path = "/" + route
        if SKIP.match(path):
            continue
        params = _params(pattern)
        if path.startswith("/api/"):
            params = [name for name in params if name not in SKIP_API_PARAMS]
        found.append((path, params))
    return sorted(set((path, tuple(params)) for path, params in found))


@pytest.fixture
def portal_and_staff(client, admin_user, portal_login):
    customer = CustomerFactory()
    portal_login(client, ContactFactory(customer=customer))
    client.force_login(admin_user)  # one session, signed in to both the panel and the portal
    client.raise_request_exception = False
    return client, customer


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_page_answers_generated_query_parameters_with_a_500(portal_and_staff, data):
    client, customer = portal_and_staff
    path, names = data.draw(st.sampled_from(pages(customer.pk)), label="page")
    chosen = data.draw(st.lists(st.sampled_from(names), max_size=3, unique=True), label="names")
    query = {name: data.draw(values, label=name) for name in chosen}

    response = client.get(path, query)

    assert response.status_code < 500, (path, query, response.status_code)


def test_the_fuzzed_pages_cover_the_lists_reports_and_api(db):
    paths = {path for path, _ in pages(1)}
    for expected in ("/customers/", "/audit/", "/invoicing/", "/contacts/", "/messaging/",
                     "/summaries/customers/1/cdrs.csv", "/portal/cdrs/", "/portal/cdrs/download.csv",
                     "/api/v1/invoices/"):
        assert expected in paths, expected
