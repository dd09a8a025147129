"""Generated files for both importers: never a 500 or an unexpected exception, never half saved."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers import imports
from customers.models import Customer, CustomerImport
from summaries.models import CallDetailRecord, PendingRollupHour
from summaries.services import CDR_COLUMNS, CdrImportError, cdr_import
from tests.factories import CustomerFactory

FUZZ = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

junk = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "1e3", "-1", "+5", "NaN", "Infinity", "1e999", "0.0000001", "999999999999.999999",
                     "9999-12-31T23:30:00-15:00", "0001-01-01T00:00:00Z", "2026-02-30T10:00:00Z",
                     "2026-11-20T10:05:00Z", "2026-11-20T10:06:00+14:00", "\x00", "\r", "\u202e", '"', "=1+1"]),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=7).map(str),
)


def cdr_rows(customer_id):
    good = {"call_id": st.text(min_size=1, max_size=8), "customer_id": st.just(str(customer_id)),
            "start_time": st.just("2026-11-20T10:05:00Z"), "answer_time": st.just(""),
            "end_time": st.just("2026-11-20T10:06:00Z"), "duration": st.just("0"), "billed_duration": st.just("0"),
            "cli": st.just(""), "dialed_number": st.just("+441234567"), "destination": st.just("X"),
            "sip_code": st.just("486"), "pdd_ms": st.just("0"), "charge": st.just("0"), "cost": st.just("0")}
    row = st.fixed_dictionaries({name: st.one_of(strategy, junk) for name, strategy in good.items()})
    return st.lists(row, max_size=6)


def encode(rows, encoding, line_end):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end)
    writer.writerow(CDR_COLUMNS)
    for row in rows:
        writer.writerow([row[name] for name in CDR_COLUMNS])
    return buffer.getvalue().encode(encoding, errors="replace")


@pytest.mark.django_db
@FUZZ
@given(data=st.data(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
       line_end=st.sampled_from(["\r\n", "\n", "\r"]))
def test_cdr_import_answers_every_file_with_a_result_or_a_file_error(data, encoding, line_end):
    customer = CustomerFactory()
    rows = data.draw(cdr_rows(customer.pk))
    before = (CallDetailRecord.objects.count(), PendingRollupHour.objects.count())
    try:
        result = cdr_import(stream=io.BytesIO(encode(rows, encoding, line_end)))
    except CdrImportError:
        assert (CallDetailRecord.objects.count(), PendingRollupHour.objects.count()) == before
        return
    assert result.inserted + result.duplicates + result.rejected == result.rows
    assert CallDetailRecord.objects.count() == before[0] + result.inserted


@pytest.mark.django_db
@FUZZ
@given(body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_cdr_api_answers_any_body_with_200_or_400(admin_client, body):
    admin_client.raise_request_exception = False
    prefix = (",".join(CDR_COLUMNS) + "\n").encode()
    for payload in (body, prefix + body):
        response = admin_client.post("/api/v1/cdrs", data=payload, content_type="text/csv")
        assert response.status_code in (200, 400), response.content[:300]


columns = imports.import_columns()


@pytest.mark.django_db
@FUZZ
@given(header=st.lists(st.sampled_from(columns), min_size=1, max_size=6, unique=True),
       cells=st.lists(st.lists(junk, min_size=6, max_size=6), min_size=1, max_size=4),
       line_end=st.sampled_from(["\r\n", "\n", "\r"]), prefix=st.sampled_from([b"", b"\xef\xbb\xbf"]))
def test_customer_upload_answers_any_file_with_a_preview_or_its_reasons(admin_client, header, cells, line_end,
                                                                        prefix):
    admin_client.raise_request_exception = False
    header = ["name", "currency"] + [c for c in header if c not in ("name", "currency")]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end)
    writer.writerow(header)
    for row in cells:
        writer.writerow((row + row)[:len(header)])
    content = prefix + buffer.getvalue().encode()
    customers = Customer.objects.count()

    response = admin_client.post("/customers/import/", {"file": SimpleUploadedFile("c.csv", content)})

    assert response.status_code in (302, 422), response.content[:300]
    assert Customer.objects.count() == customers  # the preview writes nothing
    assert not CustomerImport.objects.filter(state=CustomerImport.State.VALIDATING).exists()
    latest = CustomerImport.objects.order_by("-pk").first()
    if response.status_code == 302 and latest.state == CustomerImport.State.PREVIEW:
        admin_client.post(f"/customers/import/{latest.pk}/")
        latest.refresh_from_db()
        assert latest.state in (CustomerImport.State.DONE, CustomerImport.State.FAILED, CustomerImport.State.INVALID)
        if latest.state != CustomerImport.State.DONE:
            assert Customer.objects.count() == customers


def _import_and_read_back(stream):
    """(the import's answer, the rows it stored) in a savepoint that is then rolled back."""
    with transaction.atomic():
        try:
            outcome = cdr_import(stream=stream).as_dict()
        except CdrImportError as exc:
            outcome = str(exc)
        with connection.cursor() as cursor:
            cursor.execute("SELECT call_id, customer_id, start_time, answer_time, end_time, duration, billed_duration, "
                           "cli, dialed_number, destination, sip_code, pdd_ms, charge, cost, rate_prefix "
                           "FROM summaries_calldetailrecord ORDER BY call_id")
            stored = cursor.fetchall()
        transaction.set_rollback(True)
    return outcome, stored


@pytest.mark.django_db
@FUZZ
@given(data=st.data(), line_end=st.sampled_from(["\r\n", "\n", "\r"]))
def test_the_columnar_load_answers_and_stores_as_the_staged_import_does(data, line_end):
    customer = CustomerFactory()
    body = encode(data.draw(cdr_rows(customer.pk)), "utf-8", line_end)
    staged = _import_and_read_back(io.BytesIO(body))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("summaries.columnar.COLUMNAR_FROM_BYTES", 0)
        columnar = _import_and_read_back(io.BytesIO(body))
    assert columnar == staged
