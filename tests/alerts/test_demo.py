import io

import pytest

from alerts.demo import load_demo_alerts
from alerts.models import Alert
from alerts.services import alerts_evaluate
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_demo_alerts_load_once_and_evaluate():
    CustomerFactory.create_batch(10)
    load_demo_alerts(io.StringIO())
    load_demo_alerts(io.StringIO())
    assert Alert.objects.filter(source="default").count() == 10
    assert Alert.objects.filter(source="custom").count() == 8
    for alert in Alert.objects.all():
        alert.full_clean()
    assert not alerts_evaluate().skipped
