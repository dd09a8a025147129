import pytest
from django.db import IntegrityError, ProgrammingError, transaction

from alerts.models import AlertEvent
from tests.factories import AlertEventFactory

pytestmark = pytest.mark.django_db


def test_alert_events_cannot_be_edited_in_the_database():
    event = AlertEventFactory()
    with pytest.raises((ProgrammingError, IntegrityError)), transaction.atomic():
        AlertEvent.objects.filter(pk=event.pk).update(kind="reset")
    event.refresh_from_db()
    assert event.kind == "fired"
