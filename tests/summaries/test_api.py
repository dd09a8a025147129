import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from ledger.models import LedgerEntry
from rates.decks import rate_deck_import
from summaries.models import CallDetailRecord, CdrImport
from tests.api_cases import results
from tests.factories import (
    ApiTokenFactory,
    CdrImportFactory,
    CustomerFactory,
    IngressRouteFactory,
    StaffFactory,
)

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


# CDR imports ------------------------------------------------------------------------------------

def test_cdr_imports_are_listed_retrieved_and_filtered_by_origin_and_imported_at(api_client):
    api = api_client("summaries.view_cdrimport")
    day = datetime(2026, 11, 20, 12, tzinfo=UTC)
    file = CdrImportFactory(name="switch-a-1120.csv", imported_at=day, rows=3, inserted=2,
                            charged=Decimal("0.062"))
    switch = CdrImportFactory(origin=CdrImport.Origin.SWITCH, name="", imported_at=day + timedelta(days=1))
    api_import = CdrImportFactory(origin=CdrImport.Origin.API, name="", imported_at=day + timedelta(days=2))

    assert [row["id"] for row in results(api.get("/api/v1/cdr-imports/"))] == [file.pk, switch.pk, api_import.pk]
    assert [row["id"] for row in results(api.get("/api/v1/cdr-imports/", {"origin": "switch"}))] == [switch.pk]
    assert [row["id"] for row in results(api.get("/api/v1/cdr-imports/", {
        "imported_at_after": "2026-11-21", "imported_at_before": "2026-11-21"}))] == [switch.pk]
    assert api.get("/api/v1/cdr-imports/", {"origin": "mail"}).status_code == 400
    detail = api.get(f"/api/v1/cdr-imports/{file.pk}/").json()
    assert detail == {"id": file.pk, "origin": "file", "name": "switch-a-1120.csv",
                      "imported_at": "2026-11-20T12:00:00Z", "rows": 3, "inserted": 2, "charged": "0.062000"}


def test_the_import_named_by_a_ledger_entry_is_found_through_the_api(api, api_client):
    customer = CustomerFactory()
    api.post("/api/v1/cdrs", data=json.dumps([cdr_row(customer.pk, "s1")]), content_type="application/json")
    entry = LedgerEntry.objects.get(customer=customer)

    found = api_client("summaries.view_cdrimport").get(f"/api/v1/cdr-imports/{entry.source_id}/").json()

    assert (found["origin"], found["rows"], found["inserted"], found["charged"]) == ("api", 1, 1, "0.031000")


def test_cdr_imports_cannot_be_created_changed_or_deleted_through_the_api(api_client):
    api = api_client("summaries.view_cdrimport", "summaries.add_cdrimport", "summaries.change_cdrimport",
                     "summaries.delete_cdrimport")
    record = CdrImportFactory(name="kept.csv", rows=5)
    body = {"origin": "file", "name": "changed.csv", "rows": 1}

    assert api.post("/api/v1/cdr-imports/", body, format="json").status_code == 405
    assert api.put(f"/api/v1/cdr-imports/{record.pk}/", body, format="json").status_code == 405
    assert api.patch(f"/api/v1/cdr-imports/{record.pk}/", body, format="json").status_code == 405
    assert api.delete(f"/api/v1/cdr-imports/{record.pk}/").status_code == 405
    record.refresh_from_db()
    assert CdrImport.objects.count() == 1 and (record.name, record.rows) == ("kept.csv", 5)


def test_cdr_imports_are_refused_to_a_caller_without_the_view_permission(api_client):
    record = CdrImportFactory()
    api = api_client("summaries.view_calldetailrecord", "ledger.view_ledgerentry")

    assert api.get("/api/v1/cdr-imports/").status_code == 403
    assert api.get(f"/api/v1/cdr-imports/{record.pk}/").status_code == 403


def test_the_schema_documents_cdr_imports_as_read_only_with_their_filters(staff_client):
    paths = staff_client.get("/api/schema/?format=json").json()["paths"]

    assert set(paths["/api/v1/cdr-imports/"]) == {"get"} and set(paths["/api/v1/cdr-imports/{id}/"]) == {"get"}
    parameters = {p["name"] for p in paths["/api/v1/cdr-imports/"]["get"]["parameters"]}
    assert {"origin", "imported_at_after", "imported_at_before", "limit", "offset"} <= parameters


def test_a_cdr_import_cannot_be_changed_or_removed_once_written():
    record = CdrImportFactory(name="calls.csv")
    with pytest.raises(Exception, match="cdrimport_write_once"), transaction.atomic():
        CdrImport.objects.filter(pk=record.pk).update(inserted=99)
    with pytest.raises(Exception, match="cdrimport_write_once"), transaction.atomic():
        record.delete()
    assert CdrImport.objects.get(pk=record.pk).inserted == record.inserted
