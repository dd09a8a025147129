import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from contacts.validators import ip_allowed, looks_like_password, normalise_ip_whitelist
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_phone_and_mobile_are_stored_as_e164():
    contact = ContactFactory.build(customer=CustomerFactory(country="GB"), phone="020 7183 8750",
                                   mobile="0044 7911 123456")
    contact.full_clean()
    assert contact.phone == "+442071838750"
    assert contact.mobile == "+447911123456"


def test_invalid_phone_is_refused_next_to_the_field():
    contact = ContactFactory.build(customer=CustomerFactory(country=""), phone="12345", mobile="+1 555")
    with pytest.raises(ValidationError) as error:
        contact.full_clean()
    assert set(error.value.message_dict) >= {"phone", "mobile"}


def test_email_is_unique_case_insensitively():
    ContactFactory(email="Noc@Example.test")
    duplicate = ContactFactory.build(customer=CustomerFactory(), email="noc@example.TEST")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert error.value.message_dict["email"] == [
        "Another contact already uses this email; each contact's email is its portal login."]
    with pytest.raises(IntegrityError):
        duplicate.save()


def test_ip_whitelist_normalised_and_bad_entries_named():
    assert normalise_ip_whitelist(["203.0.113.7", " 198.51.100.0/24", "2001:DB8::/32", "203.0.113.7"]) == [
        "203.0.113.7", "198.51.100.0/24", "2001:db8::/32"]
    with pytest.raises(ValidationError) as error:
        normalise_ip_whitelist(["10.0.0.1", "10.0.0.300", "not-an-ip"])
    assert "10.0.0.300" in error.value.messages[0] and "not-an-ip" in error.value.messages[0]
    assert "10.0.0.1," not in error.value.messages[0]


@pytest.mark.parametrize(("whitelist", "address", "allowed"), [
    ([], "192.0.2.1", True),
    (["192.0.2.1"], "192.0.2.1", True),
    (["192.0.2.1"], "192.0.2.2", False),
    (["198.51.100.0/24"], "198.51.100.200", True),
    (["198.51.100.0/24"], "198.51.101.1", False),
    (["2001:db8::1"], "2001:db8::1", True),
    (["2001:db8::1"], "2001:db8::2", False),
    (["2001:db8:abcd::/48"], "2001:db8:abcd:12::5", True),
    (["2001:db8:abcd::/48"], "2001:db8:abce::5", False),
    (["192.0.2.1"], "::ffff:192.0.2.1", True),
    (["2001:db8::/32"], "192.0.2.1", False),
    (["192.0.2.1"], "", False),
])
def test_ip_whitelist_matching(whitelist, address, allowed):
    assert ip_allowed(whitelist, address) is allowed


@pytest.mark.parametrize(("text", "flagged"), [
    ("Password: hunter22", True), ("pwd=abc123", True), ("login - admin/secret", True),
    ("Prefers calls before noon", False), ("Reset their password via the portal", False), ("", False),
])
def test_notes_that_look_like_passwords(text, flagged):
    assert looks_like_password(text) is flagged
