"""Switch lookup through the API: SIP user lookups per second with an API token (switch scope).

Each request goes through the whole stack in-process (middleware, token authentication,
permission and scope checks, customer scoping, the lookup and its call-admission answer); no
network. The baseline, measured in the same run, is the same lookup by the same user signed in
with a session, which skips the token's lookup and scope check. Also reports the queries each
request makes (they must stay a small fixed number).

Runs in a throw-away test database created from DATABASE_URL.
    python benchmarks/api_lookup.py [--requests 500]
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connex.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Permission  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from apitokens.services import api_token_create  # noqa: E402
from customers.models import Customer  # noqa: E402
from sipauth.models import SipUser  # noqa: E402

PERMS = [("sipauth", "view_sipuser"), ("sipauth", "read_sip_secret"), ("customers", "view_all_customers")]


def measure(client, requests, extensions, headers):
    # Counted with an execute wrapper: the test client's request_started signal empties
    # connection.queries, so CaptureQueriesContext would see none.
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(f"/api/v1/auth/sip-users/{extensions[0]}/", **headers)
    assert response.status_code == 200, response.content
    if os.environ.get("SHOW_QUERIES"):
        print("\n".join(q[:160] for q in executed))
    started = time.perf_counter()
    for n in range(requests):
        response = client.get(f"/api/v1/auth/sip-users/{extensions[n % len(extensions)]}/", **headers)
        assert response.status_code == 200
    return requests / (time.perf_counter() - started), len(executed)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    setup_test_environment()
    creation = connection.creation
    creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        user = get_user_model().objects.create_user("switch", is_staff=True, password="bench-pass-1")
        user.user_permissions.add(*[Permission.objects.get(content_type__app_label=a, codename=c) for a, c in PERMS])
        extensions = []
        for i in range(50):
            customer = Customer.objects.create(name=f"Bench {i}", currency="USD", channels=30)
            sip_user = SipUser(customer=customer, extension=5000 + i)
            sip_user.set_password("sip-secret")
            sip_user.save()
            extensions.append(sip_user.extension)
        _token, key = api_token_create(user=user, name="bench", scopes=["switch"])

        session = Client()
        session.force_login(user)
        baseline_rate, baseline_queries = measure(session, args.requests, extensions, {})
        token_rate, token_queries = measure(Client(), args.requests, extensions,
                                            {"HTTP_AUTHORIZATION": f"Bearer {key}"})
    finally:
        creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)

    print(f"session lookup (baseline): {baseline_rate:8.0f} req/s, {baseline_queries} queries/request")
    print(f"token lookup:              {token_rate:8.0f} req/s, {token_queries} queries/request")
    print(f"token / session:           {token_rate / baseline_rate:8.2f}x")
    print(json.dumps({"benchmark": "api_lookup", "requests": args.requests,
                      "session_req_per_s": round(baseline_rate), "token_req_per_s": round(token_rate),
                      "token_vs_session": round(token_rate / baseline_rate, 2),
                      "session_queries": baseline_queries, "token_queries": token_queries}))


if __name__ == "__main__":
    main()
