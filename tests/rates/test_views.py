import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rates.decks import rate_deck_import
from rates.models import RateCard, RateDeckUpload, RateRevision
from tests.factories import RateCardFactory, StaffFactory

pytestmark = pytest.mark.django_db
DECK_WITH_BAD_ROW = b"prefix,name,rate\n44,UK,0.05\n4479,UK mobile,cheap\n"


def login(client, *codenames):
    user = StaffFactory(perms=[f"rates.{codename}" for codename in codenames])
    client.force_login(user)
    return client


def upload(client, card, content, django_capture_on_commit_callbacks, live_from="2026-01-01T00:00"):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/rates/{card.pk}/upload/", {
            "file": SimpleUploadedFile("deck.csv", content, "text/csv"), "live_from": live_from})
    assert response.status_code == 302, response.content[:500]
    return RateDeckUpload.objects.latest("pk")


def test_bad_row_is_shown_beside_its_row_then_the_fixed_deck_applies(client, django_capture_on_commit_callbacks):
    card = RateCardFactory()
    staff = login(client, "view_ratecard", "upload_rate_deck")
    bad = upload(staff, card, DECK_WITH_BAD_ROW, django_capture_on_commit_callbacks)
    page = staff.get(f"/rates/uploads/{bad.pk}/").content.decode()
    bad.refresh_from_db()
    assert bad.state == "invalid" and bad.error_count == 1
    assert "bad rate (a number, up to 6 decimal places)" in page and "Apply as a new revision" not in page
    assert staff.post(f"/rates/uploads/{bad.pk}/").status_code == 302 and not RateRevision.objects.exists()

    good = upload(staff, card, b"prefix,name,rate\n44,UK,0.05\n4479,UK mobile,0.12\n", django_capture_on_commit_callbacks)
    good.refresh_from_db()
    assert (good.state, good.added, good.error_count) == ("checked", 2, 0)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(f"/rates/uploads/{good.pk}/")
    good.refresh_from_db()
    assert good.state == "applied" and good.revision.rows.count() == 2

    page = staff.get(f"/rates/{card.pk}/", {"number": "447911123456"}).content.decode()
    assert "4479" in page and "UK mobile" in page and "0.12/min" in page


def test_card_page_searches_rows_and_downloads_the_live_deck(client):
    card = RateCardFactory()
    import io

    rate_deck_import(card=card, stream=io.BytesIO(b"prefix,name,rate\n44,UK,0.05\n33,France,0.02\n"))
    staff = login(client, "view_ratecard")
    table = staff.get(f"/rates/{card.pk}/", {"q": "fran"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="card-rows")
    assert "France" in table.content.decode() and "UK" not in table.content.decode()
    revision = RateRevision.objects.get()
    download = b"".join(staff.get(f"/rates/revisions/{revision.pk}.csv").streaming_content).decode()
    assert download.splitlines()[1:] == ["33,France,0.02,0,0,1,0,false", "44,UK,0.05,0,0,1,0,false"]


def test_card_form_shows_errors_next_to_fields_and_saves_nothing(client):
    staff = login(client, "view_ratecard", "add_ratecard")
    response = staff.post("/rates/new/", {"name": "", "kind": "customer", "direction": "termination",
                                          "currency": "ZZZ", "precision": "9", "rounding": "half_up"})
    assert response.status_code == 422 and not RateCard.objects.exists()
    assert set(response.context["form"].errors) == {"name", "currency", "precision"}
    response = staff.post("/rates/new/", {"name": "UK sell", "kind": "customer", "direction": "termination",
                                          "currency": "GBP", "precision": "4", "rounding": "half_up"})
    assert response.status_code == 302 and RateCard.objects.get().name == "UK sell"


@pytest.mark.parametrize(("url", "perm"), [("/rates/", "view_ratecard"), ("/rates/new/", "add_ratecard")])
def test_pages_need_their_permission(client, url, perm):
    assert login(client).get(url).status_code == 403
    client.logout()
    assert login(client, perm).get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302
