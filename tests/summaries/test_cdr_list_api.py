from datetime import timedelta

import pytest

from tests.factories import CallDetailRecordFactory, CustomerFactory

from .helpers import T0

pytestmark = pytest.mark.django_db


def test_cdrs_list_filters_and_pages_by_cursor(api_client):
    customer, other = CustomerFactory(), CustomerFactory()
    for n in range(5):
        CallDetailRecordFactory(customer=customer, call_id=f"c{n}", start_time=T0 + timedelta(minutes=n))
    CallDetailRecordFactory(customer=other, call_id="other", start_time=T0)
    api = api_client("summaries.view_calldetailrecord", "customers.view_all_customers", scopes=["read"])

    first = api.get("/api/v1/cdrs", {"customer": customer.pk, "page_size": 2,
                                      "start_after": (T0 - timedelta(days=1)).isoformat()}).json()
    assert [r["call_id"] for r in first["results"]] == ["c0", "c1"]
    second = api.get(first["next"]).json()
    assert [r["call_id"] for r in second["results"]] == ["c2", "c3"]
    window = api.get("/api/v1/cdrs", {"customer": customer.pk, "start_after": (T0 + timedelta(minutes=1)).isoformat(),
                                      "start_before": (T0 + timedelta(minutes=3)).isoformat()}).json()
    assert [r["call_id"] for r in window["results"]] == ["c1", "c2"]
    one = api.get("/api/v1/cdrs", {"call_id": "other"}).json()["results"]
    assert len(one) == 1 and {"rate_card", "rate_revision", "rate_prefix", "rate", "billed_duration"} <= set(one[0])
    assert api.get("/api/v1/cdrs", {"start_after": "yesterday"}).status_code == 400
    assert "start_after" in api.get("/api/v1/cdrs", {"customer": customer.pk}).json()
    too_long = api.get("/api/v1/cdrs", {"customer": customer.pk, "start_after": T0.isoformat(),
                                        "start_before": (T0 + timedelta(days=32)).isoformat()})
    assert too_long.status_code == 400 and "start_before" in too_long.json()
    all_customers = api.get("/api/v1/cdrs", {"start_after": T0.isoformat(),
                                             "start_before": (T0 + timedelta(hours=2)).isoformat()})
    assert all_customers.status_code == 400 and "one hour" in all_customers.json()["start_before"][0]
    hour = api.get("/api/v1/cdrs", {"start_after": T0.isoformat()}).json()["results"]
    assert {r["call_id"] for r in hour} == {"c0", "c1", "c2", "c3", "c4", "other"}


def test_listing_cdrs_needs_the_view_permission(api_client):
    assert api_client("customers.view_all_customers", scopes=["read"]).get("/api/v1/cdrs").status_code == 403
