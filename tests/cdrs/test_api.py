from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cdrs.models import RecalcJob
from ledger.services import ledger_differences
from tests.factories import CustomerFactory, StaffFactory

from .conftest import DAY, deck

pytestmark = pytest.mark.django_db
URL = "/api/v1/recalc-jobs/"


def test_create_previews_queues_and_runs_then_lists_the_job(api_client, priced_day,
                                                            django_capture_on_commit_callbacks):
    customer, route = priced_day
    deck(route.rate_card, "prefix,rate\n44,0.09\n", datetime(2026, 11, 1, tzinfo=UTC))
    api = api_client("cdrs.view_recalcjob", "cdrs.add_recalcjob", "customers.view_all_customers")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(URL, {"customer": customer.pk, "day": DAY.isoformat(), "mode": "rerate"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["preview_delta"] == "-3.690000"
    job = api.get(f"{URL}{response.json()['id']}/").json()
    assert (job["state"], job["calls"], job["delta"], job["invoices"]) == ("done", 3, "-3.690000", [])
    assert [row["id"] for row in api.get(URL, {"customer": customer.pk, "state": "done"}).json()["results"]] == [
        job["id"]]
    assert ledger_differences() == []


def test_bad_input_answers_on_its_field_and_queues_nothing(api_client, priced_day):
    customer, _ = priced_day
    api = api_client("cdrs.view_recalcjob", "cdrs.add_recalcjob", "customers.view_all_customers")
    response = api.post(URL, {"customer": customer.pk, "day": DAY.isoformat(), "mode": "adjust_duration",
                              "longer_than": 60}, format="json")
    assert response.status_code == 400 and "new_duration" in response.json()
    response = api.post(URL, {"customer": customer.pk, "day": DAY.isoformat(), "mode": "sideways"}, format="json")
    assert response.status_code == 400 and "mode" in response.json()
    assert not RecalcJob.objects.exists()


def test_jobs_are_read_only_and_scoped_to_visible_customers(api_client, priced_day):
    customer, _ = priced_day
    job = RecalcJob.objects.create(customer=customer, day=DAY, mode="refresh_credit", state="done",
                                   delta=Decimal("1"))
    api = api_client("cdrs.view_recalcjob", "cdrs.add_recalcjob", "cdrs.change_recalcjob", "cdrs.delete_recalcjob",
                     "customers.view_all_customers")
    assert api.patch(f"{URL}{job.pk}/", {"day": "2026-01-01"}, format="json").status_code == 405
    assert api.delete(f"{URL}{job.pk}/").status_code == 405
    manager = StaffFactory(username="am", groups=["Account manager"])
    mine = api_client(user=manager)
    assert mine.get(URL).json()["results"] == [] and mine.get(f"{URL}{job.pk}/").status_code == 404
    other = CustomerFactory(account_manager=manager)
    response = mine.post(URL, {"customer": customer.pk, "day": DAY.isoformat(), "mode": "rerate"}, format="json")
    assert response.status_code in (400, 403)
    assert other.pk
