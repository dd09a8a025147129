"""Property-based run of the whole API against its own live OpenAPI schema (schemathesis).

Every operation gets a few generated requests, valid and invalid, sent over HTTP to the live
test server with a token holding every scope: no answer may be a 5xx, and every answer the
schema describes must match it. Bounded (few examples per operation, no shrinking, a time limit)
so it stays part of `make test`.
"""

import signal

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from apitokens.services import api_token_create
from numberblocks.models import NumberRangeOptions
from tests.factories import (
    ApprovedCLIFactory,
    ContactFactory,
    CustomerFactory,
    DidFactory,
    InvoiceFactory,
    IpAuthEntryFactory,
    MessageFactory,
    NumberBlockFactory,
    PackageSubscriptionFactory,
    PaymentFactory,
    SipUserFactory,
    StaffFactory,
)

TIME_LIMIT_SECONDS = 420

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def api_token(live_server):
    user = StaffFactory(username="fuzzer", is_superuser=True)
    _token, key = api_token_create(user=user, name="schemathesis", scopes=["read", "write", "switch"])
    NumberRangeOptions.objects.update_or_create(pk=1, defaults={"number_range_start": 10000, "block_size": 100})
    # A little of everything, so ids 1, 2, … exist and detail routes answer with real objects.
    for _ in range(2):
        customer = CustomerFactory()
        ContactFactory(customer=customer)
        SipUserFactory(customer=customer)
        IpAuthEntryFactory(customer=customer)
        NumberBlockFactory(customer=customer)
        ApprovedCLIFactory(customer=customer)
        InvoiceFactory(customer=customer)
        PaymentFactory(customer=customer)
        MessageFactory(customer=customer)
        DidFactory(customer=customer)
        PackageSubscriptionFactory(customer=customer)
    return key


@pytest.fixture
def api_schema(live_server, api_token):
    response = requests.get(f"{live_server.url}/api/schema/?format=json",
                            headers={"Authorization": f"Bearer {api_token}"}, timeout=30)
    response.raise_for_status()
    return schemathesis.openapi.from_dict(response.json())


@pytest.fixture
def time_limit():
    def expired(signum, frame):
        raise TimeoutError(f"The API fuzz run took over {TIME_LIMIT_SECONDS} s.")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(TIME_LIMIT_SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


SETTINGS = settings(max_examples=8, deadline=None, phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck), derandomize=True, database=None)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def test_no_server_error_and_every_answer_matches_the_schema(live_server, api_schema, api_token, time_limit):
    headers = {"Authorization": f"Bearer {api_token}"}
    failures, operations = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
        try:
            strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
        except Exception:  # noqa: S110 - an operation with nothing to negate gets valid requests only
            pass

        @SETTINGS
        @given(case=st.one_of(strategies))
        def run(case):
            case.call_and_validate(base_url=live_server.url, headers=headers, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failures, report together
            failures.append(f"{operation.label}: {str(exc)[:3000]}")
    assert operations >= 30
    assert not failures, "\n\n".join(failures)
