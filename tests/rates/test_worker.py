import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from rates.models import RateDeckUpload, RateRow
from rates.services import rate_deck_upload_confirm, rate_deck_upload_create
from rates.tasks import rate_deck_upload_apply_task, rate_deck_upload_check_task
from tests.celery_worker import celery_worker
from tests.factories import RateCardFactory


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_deck_is_checked_then_applied_by_a_real_worker(settings, tmp_path):
    from unittest import mock

    card = RateCardFactory()
    deck = b"prefix,name,rate\n44,UK,0.05\n447,UK mobile,0.09\n33,France,0.04\n"
    with mock.patch("rates.tasks.rate_deck_upload_check_task.delay"), \
            mock.patch("rates.tasks.rate_deck_upload_apply_task.delay"):  # sent by hand to the worker's queue
        upload = rate_deck_upload_create(card=card, file=SimpleUploadedFile("deck.csv", deck),
                                         live_from=timezone.now())
        with celery_worker("deck") as queue:
            rate_deck_upload_check_task.apply_async(args=[upload.pk], queue=queue).get(timeout=90)
            upload.refresh_from_db()
            assert (upload.state, upload.rows, upload.added, upload.error_count) == ("checked", 3, 3, 0)
            rate_deck_upload_confirm(upload=upload)
            rate_deck_upload_apply_task.apply_async(args=[upload.pk], queue=queue).get(timeout=90)
    upload.refresh_from_db()
    assert upload.state == RateDeckUpload.State.APPLIED
    assert dict(RateRow.objects.filter(revision=upload.revision).values_list("prefix", "name")) == {
        "44": "UK", "447": "UK mobile", "33": "France"}
