"""Every portal URL is scoped to the signed-in contact's customer.

The test walks the portal's URL patterns. A pattern that takes an object id is requested with
an object of ANOTHER customer and must answer 404 (GET and POST). Every new pattern must either
name how to make such an object in OBJECT_MAKERS or be listed, with its reason, in UNSCOPED.
"""

import pytest
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLPattern, URLResolver

from tests.factories import ApprovedCLIFactory, ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

# kwarg name per pattern -> a function making the other customer's object, returning its pk.
OBJECT_MAKERS = {
    ("portal:cli_confirm", "pk"): lambda other: ApprovedCLIFactory(customer=other, approved_at=None).pk,
    ("portal:cli_resend", "pk"): lambda other: ApprovedCLIFactory(customer=other, approved_at=None).pk,
    ("portal:impersonate_start", "contact_id"): lambda other: ContactFactory(customer=other).pk,
}

# Patterns without an object of a customer in the URL: they act on the signed-in contact only,
# or carry a signed token that names its contact.
UNSCOPED = {
    "portal:dashboard", "portal:login", "portal:logout", "portal:password_reset", "portal:verify",
    "portal:verify_email_send", "portal:verify_mobile_send", "portal:verify_mobile_confirm", "portal:clis",
    "portal:impersonate_end",
    "portal:password_reset_confirm",  # signed token, tested in test_signin
    "portal:verify_email_confirm",  # signed token, tested in test_verification
}


def portal_patterns():
    resolver = get_resolver()
    portal = next(p for p in resolver.url_patterns if isinstance(p, URLResolver) and p.namespace == "portal")

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                namespace = f"{pattern.namespace}:" if pattern.namespace else ""
                yield from walk(pattern.url_patterns, prefix + namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"portal:{prefix}{pattern.name}", list(pattern.pattern.converters)

    return list(walk(portal.url_patterns))


def test_every_portal_pattern_is_classified():
    for name, kwargs in portal_patterns():
        if kwargs:
            missing = [kw for kw in kwargs if (name, kw) not in OBJECT_MAKERS]
            if name not in UNSCOPED:
                assert not missing, f"{name}: add an OBJECT_MAKERS entry for {missing} (another customer's object)"
        else:
            assert name in UNSCOPED, f"{name}: no object in its URL; list it in UNSCOPED with its reason"


@pytest.mark.parametrize("method", ["get", "post"])
def test_wrong_customers_objects_answer_404(client, portal_login, method):
    mine, other = CustomerFactory(name="Mine"), CustomerFactory(name="Other")
    portal_login(client, ContactFactory(customer=mine))
    walked = 0
    for name, kwargs in portal_patterns():
        if not kwargs or name in UNSCOPED:
            continue
        url = reverse(name, kwargs={kw: OBJECT_MAKERS[(name, kw)](other) for kw in kwargs})
        response = getattr(client, method)(url)
        # A POST-only view answers GET with 405 before looking at the object; the POST run checks it.
        expected = {404, 405} if method == "get" else {404}
        assert response.status_code in expected, f"{method.upper()} {url} ({name}) answered {response.status_code}"
        walked += 1
    assert walked >= 1
    assert client.get("/portal/").status_code == 200  # still signed in as ourselves
