import pytest
from django.core.exceptions import ValidationError


def test_password_message_body_is_removed_from_the_outbox_once_sent(smtp_server,
                                                                   django_capture_on_commit_callbacks):
    from messaging.models import Message
    from messaging.services import message_queue

    with django_capture_on_commit_callbacks(execute=True):
        message = message_queue(channel="email", to="dana@example.test", subject="Your password",
                                body="Your portal password: Zq8-secret-Pw", kind="password")
    message.refresh_from_db()
    assert "Zq8-secret-Pw" in smtp_server.mails[0]["message"].get_content()
    assert message.state == Message.State.SENT
    assert "Zq8-secret-Pw" not in message.body and message.body_redacted


def test_password_message_is_hidden_on_the_detail_page_and_cannot_be_resent(staff_client):
    from messaging.services import message_resend
    from tests.factories import MessageFactory

    message = MessageFactory(kind="password", body="Your portal password: Zq8-secret-Pw", state="failed")
    content = staff_client.get(f"/messaging/{message.pk}/").content.decode()
    assert "Zq8-secret-Pw" not in content and 'id="message-body-hidden"' in content
    message.body = message.REDACTED_BODY
    message.save()
    with pytest.raises(ValidationError, match="issue a new one"):
        message_resend(message=message)
