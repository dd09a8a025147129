import json
from decimal import Decimal

import pytest

from ledger.models import LedgerEntry
from summaries.models import CallDetailRecord, CdrImport
from tests.factories import ApiTokenFactory, CustomerFactory, StaffFactory

from .helpers import cdr_row, csv_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_client):
    return api_client("summaries.add_calldetailrecord", "summaries.view_calldetailrecord",
                      "customers.view_all_customers", scopes=["switch", "read"])


def test_csv_body_is_imported_and_answered_with_counts_and_rejects(api):
    customer = CustomerFactory(balance=Decimal("10"))
    body = csv_bytes([cdr_row(customer.pk, "a"), cdr_row(customer.pk, "b", end_time="soon")])

    response = api.post("/api/v1/cdrs", data=body, content_type="text/csv")

    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["rows"], data["inserted"], data["rejected"], data["duplicates"]) == (2, 1, 1, 0)
    assert data["rejects"] == [{"row": 3, "call_id": "b",
                                "reason": "bad end_time (ISO 8601 with Z or an offset)"}]
    customer.refresh_from_db()
    assert customer.balance == Decimal("9.969")


def test_json_array_is_imported_and_duplicates_are_skipped(api):
    customer = CustomerFactory()
    records = [cdr_row(customer.pk, "j1"), cdr_row(customer.pk, "j1")]

    response = api.post("/api/v1/cdrs", data=json.dumps(records), content_type="application/json")

    assert response.json()["inserted"] == 1 and response.json()["duplicates"] == 1
    assert CallDetailRecord.objects.count() == 1


def test_call_charges_of_an_api_import_name_it_as_their_source(api):
    customer = CustomerFactory()
    api.post("/api/v1/cdrs", data=json.dumps([cdr_row(customer.pk, "s1")]), content_type="application/json")

    entry = LedgerEntry.objects.get(customer=customer)
    assert isinstance(entry.source, CdrImport) and entry.source.origin == CdrImport.Origin.API
    assert (entry.source.rows, entry.source.inserted, entry.source.charged) == (1, 1, Decimal("0.031"))
    assert entry.description == f"Call charges of 2026-11-20, CDR API (import {entry.source_id})"


def test_a_bad_header_is_a_400_with_the_reason(api):
    response = api.post("/api/v1/cdrs", data=b"call_id\nx\n", content_type="text/csv")

    assert response.status_code == 400
    assert "missing columns" in response.json()["detail"]


def test_a_json_object_instead_of_an_array_is_a_400(api):
    response = api.post("/api/v1/cdrs", data=json.dumps({"call_id": "x"}), content_type="application/json")

    assert response.status_code == 400


@pytest.mark.parametrize("staff", [False, None])
def test_non_staff_and_anonymous_callers_cannot_import(client, staff):
    customer = CustomerFactory()
    if staff is not None:
        token = ApiTokenFactory(user=StaffFactory(username="not-staff"), scopes=["switch"])
        type(token.user).objects.filter(pk=token.user_id).update(is_staff=False)
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token.key}"

    response = client.post("/api/v1/cdrs", data=csv_bytes([cdr_row(customer.pk)]), content_type="text/csv")

    assert response.status_code in (401, 403)
    assert not CallDetailRecord.objects.exists()
