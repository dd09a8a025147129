import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from sipauth.models import IpAuthEntry, SipUser
from sipauth.services import extension_next_free, ip_entry_save, sip_user_save
from tests.factories import CustomerFactory, IpAuthEntryFactory, NumberBlockFactory, SipUserFactory

pytestmark = pytest.mark.django_db


def new_sip_user(customer, extension, password="s3cret-pass"):
    return sip_user_save(sip_user=SipUser(customer=customer, extension=extension), password=password)


def test_password_is_stored_only_as_digest_ha1():
    sip_user = new_sip_user(CustomerFactory(), 1001, password="Tr0ub4dor&3")
    expected = hashlib.md5(b"1001:connex:Tr0ub4dor&3").hexdigest()
    assert sip_user.ha1 == expected
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(s)::text FROM sipauth_sipuser s WHERE id = %s", [sip_user.pk])
        assert "Tr0ub4dor" not in cursor.fetchone()[0]
    assert sip_user.check_password("Tr0ub4dor&3")
    assert not sip_user.check_password("wrong")


def test_new_sip_user_needs_a_password():
    with pytest.raises(ValidationError) as error:
        sip_user_save(sip_user=SipUser(customer=CustomerFactory(), extension=1001), password="")
    assert "password" in error.value.message_dict
    assert not SipUser.objects.exists()


def test_changing_extension_requires_password_again():
    sip_user = new_sip_user(CustomerFactory(), 1001)
    sip_user.extension = 1002
    with pytest.raises(ValidationError) as error:
        sip_user_save(sip_user=sip_user)
    assert "password" in error.value.message_dict
    sip_user_save(sip_user=sip_user, password="another-pass")
    sip_user.refresh_from_db()
    assert sip_user.check_password("another-pass")


def test_extension_unique_across_customers_and_error_names_owner():
    first, second = CustomerFactory(name="Alpha Telecom"), CustomerFactory()
    new_sip_user(first, 1001)
    with pytest.raises(ValidationError) as error:
        new_sip_user(second, 1001)
    assert error.value.message_dict["extension"] == ["Extension 1001 is already used by customer “Alpha Telecom”."]
    assert SipUser.objects.filter(extension=1001).count() == 1


def test_customer_with_blocks_limited_to_them_and_error_lists_ranges():
    customer = CustomerFactory()
    NumberBlockFactory(customer=customer, start=1000, end=1099)
    NumberBlockFactory(customer=customer, start=3000, end=3099)
    with pytest.raises(ValidationError) as error:
        new_sip_user(customer, 2000)
    assert "allowed: 1000–1099, 3000–3099" in error.value.message_dict["extension"][0]
    assert new_sip_user(customer, 3099).extension == 3099
    assert not SipUser.objects.filter(extension=2000).exists()


def test_customer_without_blocks_may_use_any_free_extension_outside_others_blocks():
    owner, other = CustomerFactory(name="Block Owner"), CustomerFactory()
    NumberBlockFactory(customer=owner, start=1000, end=1999)
    assert new_sip_user(other, 55555).extension == 55555
    with pytest.raises(ValidationError) as error:
        new_sip_user(other, 1500)
    assert "block 1000–1999 of customer “Block Owner”" in error.value.message_dict["extension"][0]


def test_next_free_extension_inside_blocks_fills_gaps():
    customer = CustomerFactory()
    NumberBlockFactory(customer=customer, start=1000, end=1002)
    NumberBlockFactory(customer=customer, start=5000, end=5099)
    assert extension_next_free(customer=customer) == 1000
    for number in (1000, 1002):
        SipUserFactory(customer=customer, extension=number)
    assert extension_next_free(customer=customer) == 1001
    SipUserFactory(customer=customer, extension=1001)
    assert extension_next_free(customer=customer) == 5000


def test_next_free_extension_without_blocks_skips_used_and_blocked_numbers():
    customer = CustomerFactory()
    SipUserFactory(extension=100)
    SipUserFactory(extension=101)
    NumberBlockFactory(start=102, end=199)
    SipUserFactory(extension=200)
    assert extension_next_free(customer=customer) == 201


def valid_entry(customer, **overrides):
    data = {"address": "203.0.113.10", "port": 5060, "protocol": "udp", "tech_prefix": "", "channels": 10,
            "flow_speed": 5, "codecs": ["PCMA", "G729"], "direction": "ingress"}
    data.update(overrides)
    return IpAuthEntry(customer=customer, **data)


@pytest.mark.parametrize(("field", "value"), [
    ("address", "not a host!"),
    ("address", "999.1.1.1"),
    ("address", "-bad.example.com"),
    ("port", 0),
    ("port", 70000),
    ("protocol", "sctp"),
    ("tech_prefix", "12a"),
    ("strip_digits", 21),
    ("cli_prefix", "44x"),
    ("dial_pattern", "^(44"),
    ("codecs", ["PCMA", "PCMA"]),
    ("codecs", ["MP3"]),
    ("direction", "sideways"),
])
def test_invalid_ip_entry_is_refused_on_its_field(field, value):
    with pytest.raises(ValidationError) as error:
        ip_entry_save(entry=valid_entry(CustomerFactory(), **{field: value}))
    assert field in error.value.message_dict
    assert not IpAuthEntry.objects.exists()


@pytest.mark.parametrize("address", ["203.0.113.10", "2001:db8::1", "sbc.example.com", "PBX-1.Customer.NET"])
def test_valid_ip_entry_addresses(address):
    entry = ip_entry_save(entry=valid_entry(CustomerFactory(), address=address))
    assert entry.address == address.lower()


def test_ip_entry_unique_per_customer_but_not_across_customers():
    customer = CustomerFactory()
    ip_entry_save(entry=valid_entry(customer, address="sbc.example.com", tech_prefix="123"))
    with pytest.raises(ValidationError) as error:
        ip_entry_save(entry=valid_entry(customer, address="SBC.example.com", tech_prefix="123"))
    assert "already has an entry" in " ".join(error.value.messages)
    ip_entry_save(entry=valid_entry(customer, address="sbc.example.com", tech_prefix="124"))
    ip_entry_save(entry=valid_entry(customer, address="sbc.example.com", tech_prefix="123", port=5080))
    ip_entry_save(entry=valid_entry(customer, address="sbc.example.com", tech_prefix="123", protocol="tcp"))
    ip_entry_save(entry=valid_entry(CustomerFactory(), address="sbc.example.com", tech_prefix="123"))
    assert IpAuthEntry.objects.count() == 5


def test_ip_entry_uniqueness_enforced_by_database():
    customer = CustomerFactory()
    IpAuthEntryFactory(customer=customer, address="198.51.100.7")
    with pytest.raises(IntegrityError, match="ipauth_unique_per_customer"):
        IpAuthEntryFactory(customer=customer, address="198.51.100.7")
