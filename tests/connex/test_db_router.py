"""The read-replica router: panel GET reads go to the replica until the request writes."""

import pytest
from django.contrib.sessions.models import Session
from django.test import RequestFactory

from connex import db_router
from customers.models import Customer


def _route(method, path, actions):
    seen = []

    def view(request):
        router = db_router.ReplicaRouter()
        for action, model in actions:
            seen.append(router.db_for_read(model) if action == "read" else router.db_for_write(model))
        return seen

    db_router.ReplicaRoutingMiddleware(view)(getattr(RequestFactory(), method)(path))
    return seen


def test_get_reads_use_the_replica_until_the_request_writes():
    assert _route("get", "/customers/", [("read", Customer), ("write", Customer), ("read", Customer)]) == [
        "replica", "default", "default"]


def test_posts_the_switch_api_sessions_and_tasks_stay_on_the_primary():
    assert _route("post", "/customers/", [("read", Customer)]) == ["default"]
    assert _route("get", "/api/v1/switch/authorize", [("read", Customer)]) == ["default"]
    assert _route("get", "/customers/", [("read", Session)]) == ["default"]
    assert db_router.ReplicaRouter().db_for_read(Customer) == "default"  # outside a request: a task


@pytest.mark.django_db
def test_reads_inside_a_transaction_stay_on_the_primary():
    assert _route("get", "/customers/", [("read", Customer)]) == ["default"]
