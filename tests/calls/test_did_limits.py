"""An inbound call to a DID counts against the number's own channels as well as the customer's."""

import pytest

from calls.services import call_authorize
from tests.dids.helpers import NUMBER, PROVIDER_IP, inbound_setup

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_state", "fresh_caches")]


def test_a_did_with_one_channel_refuses_a_second_concurrent_inbound_call():
    customer, did = inbound_setup()
    customer.channels, customer.flow_speed = 10, 0
    customer.save()
    did.channels = 1
    did.save()

    first = call_authorize(call_id="did-a", dialed=NUMBER, cli="33123456789", source_ip=PROVIDER_IP)
    second = call_authorize(call_id="did-b", dialed=NUMBER, cli="33123456789", source_ip=PROVIDER_IP)

    assert first["allowed"], first
    assert (second["allowed"], second["sip_code"], second["step"]) == (False, 503, "channels")
    assert "DID" in second["reason"]
