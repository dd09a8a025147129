"""Report periods at the edges of the calendar are refused with a 404, never a 500."""

import pytest

from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

EDGE_PERIODS = ["daily:9999-12-31", "monthly:9999-12-01", "hourly:9999-12-31T23", "weekly:9999-12-27",
                "daily:0001-01-01", "monthly:1999-12-01"]


@pytest.fixture
def portal_client(client, portal_login):
    contact = ContactFactory(customer=CustomerFactory())
    client.raise_request_exception = True
    return portal_login(client, contact)


@pytest.mark.parametrize("period", EDGE_PERIODS)
def test_staff_cdr_report_refuses_periods_outside_the_years_covered(staff_client, period):
    customer = CustomerFactory()
    staff_client.raise_request_exception = True
    response = staff_client.get(f"/summaries/customers/{customer.pk}/cdrs.csv?period={period}")
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/portal/summaries/cdrs.csv", "/portal/cdrs/download.csv"])
@pytest.mark.parametrize("period", EDGE_PERIODS)
def test_portal_cdr_reports_refuse_periods_outside_the_years_covered(portal_client, path, period):
    assert portal_client.get(f"{path}?period={period}").status_code == 404


@pytest.mark.parametrize("month, status", [("9999-12", 404), ("0001-01", 404), ("2026-11", 200), ("nonsense", 200)])
def test_portal_cdr_list_refuses_months_outside_the_years_covered(portal_client, month, status):
    assert portal_client.get(f"/portal/cdrs/?month={month}").status_code == status
