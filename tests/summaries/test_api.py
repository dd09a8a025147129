import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest

from ledger.models import LedgerEntry
from rates.decks import rate_deck_import
from summaries.models import CallDetailRecord, CdrImport
from tests.factories import ApiTokenFactory, CustomerFactory, IngressRouteFactory, StaffFactory

from .helpers import T0, cdr_row, csv_bytes

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


def test_rows_posted_without_a_charge_are_rated_and_listed_with_what_priced_them(api):
    customer = CustomerFactory(balance=Decimal("10"))
    route = IngressRouteFactory(customer=customer)
    revision = rate_deck_import(card=route.rate_card, stream=io.BytesIO(b"prefix,rate,mcd,pulse\n447,0.06,30,6\n"),
                                live_from=T0 - timedelta(days=1)).revision
    blank = cdr_row(customer.pk, "csv-blank", duration=40, charge="", billed_duration="", destination="")
    missing = cdr_row(customer.pk, "json-missing", duration=40, destination="")
    del missing["charge"], missing["billed_duration"]

    as_csv = api.post("/api/v1/cdrs", data=csv_bytes([blank]), content_type="text/csv")
    as_json = api.post("/api/v1/cdrs", data=json.dumps([missing]), content_type="application/json")

    assert as_csv.json()["inserted"] == as_json.json()["inserted"] == 1, (as_csv.json(), as_json.json())
    for call_id in ("csv-blank", "json-missing"):
        listed = api.get("/api/v1/cdrs", {"call_id": call_id}).json()["results"]
        # 40 s on 30/6 bills 42 s: 0.06 * 42 / 60
        assert [(r["billed_duration"], Decimal(r["charge"]), r["rate_card"], r["rate_revision"], r["rate_prefix"],
                 Decimal(r["rate"])) for r in listed] == [
            (42, Decimal("0.042"), route.rate_card_id, revision.pk, "447", Decimal("0.06"))]
    customer.refresh_from_db()
    assert customer.balance == Decimal("9.916")


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
