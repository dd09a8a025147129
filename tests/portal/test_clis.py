import re
from datetime import UTC, datetime

import pytest

from customers.models import ApprovedCLI
from customers.services import AdmissionReason, call_admission
from messaging.models import Message
from portal.models import PortalEvent
from tests.factories import ApprovedCLIFactory, ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 25, 12, tzinfo=UTC)


def call_code(number):
    message = Message.objects.filter(kind="cli_verification", to=number).latest("created")
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def test_cli_submitted_verified_by_code_then_admitted(client, portal_login):
    customer = CustomerFactory(approved_clis_only=True, country="GB")
    portal_login(client, ContactFactory(customer=customer))
    assert AdmissionReason.CLI in call_admission(customer, NOON, cli="+442071838750").reasons
    assert 'href="/portal/clis/"' in client.get("/portal/").content.decode()

    response = client.post("/portal/clis/", {"number": "020 7183 8750"})
    assert response.status_code == 302
    cli = ApprovedCLI.objects.get(customer=customer)
    assert cli.number == "+442071838750" and not cli.is_active
    assert AdmissionReason.CLI in call_admission(customer, NOON, cli="442071838750").reasons

    wrong = "000000" if call_code(cli.number) != "000000" else "111111"
    response = client.post(f"/portal/clis/{cli.pk}/confirm/", {f"cli{cli.pk}-code": wrong})
    assert response.status_code == 422 and "wrong or has expired" in response.content.decode()
    client.post(f"/portal/clis/{cli.pk}/confirm/", {f"cli{cli.pk}-code": call_code(cli.number)})
    cli.refresh_from_db()
    assert cli.is_active
    assert PortalEvent.objects.filter(kind=PortalEvent.Kind.CLI_APPROVED).exists()
    assert call_admission(customer, NOON, cli="442071838750").allowed
    assert AdmissionReason.CLI in call_admission(customer, NOON, cli="+442071838751").reasons
    assert AdmissionReason.CLI in call_admission(customer, NOON).reasons


def test_invalid_cli_is_refused_next_to_field(client, portal_login):
    customer = CustomerFactory(approved_clis_only=True)
    portal_login(client, ContactFactory(customer=customer))
    response = client.post("/portal/clis/", {"number": "12"})
    assert response.status_code == 422 and "is not a" in response.content.decode()
    assert not ApprovedCLI.objects.exists() and not Message.objects.exists()


def test_staff_see_and_revoke_approved_cli(staff_client):
    customer = CustomerFactory(approved_clis_only=True)
    cli = ApprovedCLIFactory(customer=customer, number="+442071838750")
    assert call_admission(customer, NOON, cli="+442071838750").allowed
    card = staff_client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="section-clis"' in card and "+442071838750" in card and "Approved" in card

    response = staff_client.post(f"/customers/{customer.pk}/clis/{cli.pk}/revoke/", HTTP_HX_REQUEST="true")
    assert "revoked" in response.content.decode()
    cli.refresh_from_db()
    assert cli.revoked_at is not None
    assert AdmissionReason.CLI in call_admission(customer, NOON, cli="+442071838750").reasons
    assert PortalEvent.objects.get(kind=PortalEvent.Kind.CLI_REVOKED).staff_user.username == "alice"


def test_revoke_is_scoped_to_the_customer_in_the_url(staff_client):
    cli = ApprovedCLIFactory()
    other = CustomerFactory()
    assert staff_client.post(f"/customers/{other.pk}/clis/{cli.pk}/revoke/").status_code == 404


def test_revoked_cli_can_be_verified_again(client, portal_login):
    customer = CustomerFactory(approved_clis_only=True)
    cli = ApprovedCLIFactory(customer=customer, number="+442071838750")
    cli.revoked_at = cli.approved_at
    cli.save()
    portal_login(client, ContactFactory(customer=customer))
    client.post(f"/portal/clis/{cli.pk}/resend/")
    client.post(f"/portal/clis/{cli.pk}/confirm/", {f"cli{cli.pk}-code": call_code(cli.number)})
    cli.refresh_from_db()
    assert cli.is_active


def test_cli_page_and_card_need_the_right_session(client):
    assert client.get("/portal/clis/").status_code == 302
    cli = ApprovedCLIFactory()
    response = client.post(f"/customers/{cli.customer_id}/clis/{cli.pk}/revoke/")
    assert response.status_code == 302 and "/login/" in response["Location"]
