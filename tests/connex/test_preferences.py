from datetime import UTC, datetime

import pytest

from connex.models import StaffPreference
from tests.factories import CustomerFactory, DelayedChangeFactory

pytestmark = pytest.mark.django_db


def test_staff_member_sets_a_timezone_and_sees_times_in_it(staff_client, staff):
    response = staff_client.post("/preferences/", {"timezone": "Asia/Tokyo"})
    assert response.status_code == 302
    assert StaffPreference.objects.get(user=staff).timezone == "Asia/Tokyo"
    DelayedChangeFactory(customer=CustomerFactory(), due_at=datetime(2030, 6, 1, 12, 0, tzinfo=UTC))
    page = staff_client.get("/delayed-changes/").content.decode()
    assert "2030-06-01 21:00" in page  # 12:00 UTC is 21:00 in Tokyo


def test_unknown_timezone_is_refused(staff_client, staff):
    response = staff_client.post("/preferences/", {"timezone": "Mars/Olympus"})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not StaffPreference.objects.filter(user=staff, timezone="Mars/Olympus").exists()


@pytest.mark.parametrize("url", ["/preferences/", "/delayed-changes/", "/audit/", "/customers/import/"])
def test_pages_require_a_signed_in_staff_member(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response.url


@pytest.mark.parametrize("url", ["/customers/bulk-edit/", "/customers/delayed-changes/1/cancel/"])
def test_actions_refuse_anonymous_posts(client, url):
    response = client.post(url)
    assert response.status_code == 302 and "/login/" in response.url
