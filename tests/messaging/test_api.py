import pytest

from messaging.models import Message
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_client):
    return api_client("messaging.view_message", "messaging.change_message", "customers.view_all_customers")


def test_outbox_api_lists_and_filters_messages(api):
    MessageFactory(to="ok@example.test", state=Message.State.SENT)
    failed = MessageFactory(to="bad@example.test", state=Message.State.FAILED, error="550 No such user")
    response = api.get("/api/v1/messages/?state=failed")
    assert response.status_code == 200
    assert [(row["id"], row["error"]) for row in response.json()["results"]] == [(failed.pk, "550 No such user")]


def test_outbox_api_resends_failed_messages_only(api, django_capture_on_commit_callbacks):
    failed = MessageFactory(state=Message.State.FAILED, error="550 Gone", attempts=1)
    sent = MessageFactory(state=Message.State.SENT)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/messages/{failed.pk}/resend/")
    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.state == Message.State.SENT
    response = api.post(f"/api/v1/messages/{sent.pk}/resend/")
    assert response.status_code == 409 and "Only failed or unsent" in response.json()["detail"]


def test_outbox_api_needs_a_staff_token(client):
    assert client.get("/api/v1/messages/").status_code == 401
