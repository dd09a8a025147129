import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from customers.services import AdmissionReason, call_admission
from messaging.models import Message
from portal.models import PortalCode, PortalEvent
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 25, 12, tzinfo=UTC)


def sms_code(contact):
    message = Message.objects.filter(contact=contact, channel="sms", kind="verification").latest("created")
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def test_email_verification_by_signed_link(client, portal_login, django_capture_on_commit_callbacks):
    customer = CustomerFactory(email_verification_required=True)
    contact = ContactFactory(customer=customer, email="v@acme.test")
    assert f"{AdmissionReason.VERIFICATION} (email)" in call_admission(customer, NOON).reasons
    portal_login(client, contact)
    dashboard = client.get("/portal/").content.decode()
    assert "verify your email" in dashboard and 'href="/portal/verify/"' in dashboard

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/portal/verify/email/send/")
    assert mail.outbox[0].to == ["v@acme.test"]
    link = re.search(r"http://testserver(/portal/verify/email/\S+/)", mail.outbox[0].body).group(1)
    client.post("/portal/logout/")  # the link works from the mailbox, signed in or not
    response = client.get(link)
    assert response.status_code == 200 and "is verified" in response.content.decode()
    contact.refresh_from_db()
    assert contact.email_verified
    assert PortalEvent.objects.filter(kind=PortalEvent.Kind.EMAIL_VERIFIED, contact=contact).exists()
    assert call_admission(customer, NOON).allowed


def test_email_link_is_refused_when_tampered_or_email_changed(client, portal_login):
    from portal.services import email_verification_token

    contact = ContactFactory(email="old@acme.test")
    token = email_verification_token(contact)
    assert client.get(f"/portal/verify/email/{token[:-3]}abc/").status_code == 400
    contact.email = "new@acme.test"
    contact.save()
    assert client.get(f"/portal/verify/email/{token}/").status_code == 400
    contact.refresh_from_db()
    assert not contact.email_verified


def test_mobile_verification_by_sms_code(client, portal_login):
    customer = CustomerFactory(mobile_verification_required=True)
    contact = ContactFactory(customer=customer, mobile="+447911123456")
    assert f"{AdmissionReason.VERIFICATION} (mobile)" in call_admission(customer, NOON).reasons
    portal_login(client, contact)
    client.post("/portal/verify/mobile/send/")
    message = Message.objects.get(contact=contact, channel="sms")
    assert message.to == "+447911123456"
    code = sms_code(contact)
    assert code not in PortalCode.objects.get(contact=contact).code_hash

    wrong = "000000" if code != "000000" else "111111"
    response = client.post("/portal/verify/mobile/", {"code": wrong})
    assert response.status_code == 422 and "wrong or has expired" in response.content.decode()
    contact.refresh_from_db()
    assert not contact.mobile_verified

    assert client.post("/portal/verify/mobile/", {"code": code}).status_code == 302
    contact.refresh_from_db()
    assert contact.mobile_verified
    assert call_admission(customer, NOON).allowed
    # Staff see the flag on the card.
    assert 'title="Mobile verified"' in _card(contact)


def _card(contact):
    from django.test import Client

    from tests.factories import StaffFactory

    staff = Client()
    staff.force_login(StaffFactory())
    return staff.get(f"/customers/{contact.customer_id}/").content.decode()


def test_sms_code_expires_and_is_limited_to_five_attempts(client, portal_login):
    contact = ContactFactory(customer=CustomerFactory(mobile_verification_required=True), mobile="+447911123456")
    portal_login(client, contact)
    client.post("/portal/verify/mobile/send/")
    code = sms_code(contact)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post("/portal/verify/mobile/", {"code": wrong})
    client.post("/portal/verify/mobile/", {"code": code})
    contact.refresh_from_db()
    assert not contact.mobile_verified

    client.post("/portal/verify/mobile/send/")
    PortalCode.objects.filter(used_at__isnull=True).update(expires_at=timezone.now() - timedelta(seconds=1))
    client.post("/portal/verify/mobile/", {"code": sms_code(contact)})
    contact.refresh_from_db()
    assert not contact.mobile_verified


def test_new_code_replaces_the_previous_one(client, portal_login):
    contact = ContactFactory(customer=CustomerFactory(mobile_verification_required=True), mobile="+447911123456")
    portal_login(client, contact)
    client.post("/portal/verify/mobile/send/")
    first = sms_code(contact)
    client.post("/portal/verify/mobile/send/")
    second = sms_code(contact)
    if first != second:
        client.post("/portal/verify/mobile/", {"code": first})
        contact.refresh_from_db()
        assert not contact.mobile_verified
    client.post("/portal/verify/mobile/", {"code": second})
    contact.refresh_from_db()
    assert contact.mobile_verified


def test_mobile_verification_without_mobile_says_so(client, portal_login):
    contact = ContactFactory(customer=CustomerFactory(mobile_verification_required=True), mobile="")
    portal_login(client, contact)
    response = client.post("/portal/verify/mobile/send/", follow=True)
    assert "no mobile number" in response.content.decode()
    assert not Message.objects.filter(channel="sms").exists()


def test_portal_and_call_admission_agree_on_what_verification_is_pending(client, portal_login):
    customer = CustomerFactory(email_verification_required=True, mobile_verification_required=True)
    verified = ContactFactory(customer=customer, email_verified=True, mobile_verified=False)
    other = ContactFactory(customer=customer, email_verified=False, mobile_verified=False)
    assert customer.verification_pending() == ["mobile"]
    assert f"{AdmissionReason.VERIFICATION} (mobile)" in call_admission(customer, NOON).reasons
    portal_login(client, other)
    warning = client.get("/portal/").content.decode()
    assert "verify your mobile." in warning and "verify your email" not in warning

    verified.mobile_verified = True
    verified.save()
    assert customer.verification_pending() == []
    assert call_admission(customer, NOON).allowed
    assert 'id="verification-pending"' not in client.get("/portal/").content.decode()


def test_without_an_sms_provider_the_portal_says_no_code_was_sent_and_what_to_do(client, portal_login, settings):
    from connex.models import AccountOptions

    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = settings.TWILIO_FROM = ""
    AccountOptions.objects.update_or_create(pk=1, defaults={"company_name": "Acme Carrier",
                                                            "company_email": "noc@acme-carrier.test"})
    contact = ContactFactory(customer=CustomerFactory(mobile_verification_required=True), mobile="+447911123456")
    portal_login(client, contact)
    page = client.post("/portal/verify/mobile/send/", follow=True).content.decode()
    assert "No code was sent to +447911123456" in page
    assert "Acme Carrier has not set up text messages yet" in page and "noc@acme-carrier.test" in page
    assert "We sent" not in page

    cli_page = client.post("/portal/clis/", {"number": "+442071838750"}, follow=True).content.decode()
    assert "No code was sent to +442071838750" in cli_page
    assert "placing a verification call" not in cli_page


def test_with_an_sms_provider_the_portal_says_the_code_is_on_its_way(client, portal_login, settings):
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM = "AC1", "token", "+15005550006"
    contact = ContactFactory(customer=CustomerFactory(mobile_verification_required=True), mobile="+447911123456")
    portal_login(client, contact)
    page = client.post("/portal/verify/mobile/send/", follow=True).content.decode()
    assert "We sent a 6-digit code by text message to +447911123456" in page and "15 minutes" in page
