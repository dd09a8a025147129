"""Names and text refuse control characters and bidirectional overrides, beside the field."""

import pytest
from django.core.exceptions import ValidationError

from connex.validators import plain_multiline_text, plain_text
from customers.models import Customer
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["Acme\u202eLtd", "Acme\u2066Ltd", "Acme\x00", "Acme\x1bLtd", "A\nB", "A\tB"])
def test_single_line_text_refuses_controls_and_bidi_overrides(value):
    with pytest.raises(ValidationError):
        plain_text(value)


def test_multi_line_text_takes_line_breaks_but_not_other_controls():
    plain_multiline_text("First line\r\nSecond\tline")
    with pytest.raises(ValidationError, match="U\\+202E"):
        plain_multiline_text("note \u202e txt.exe")
    plain_text("Zürich Telecom — 東京 ☎")


def test_customer_form_shows_the_error_beside_the_name_and_saves_nothing(staff_client):
    response = staff_client.post("/customers/new/", {"name": "Evil\u202eCorp", "currency": "USD"})
    assert "text-direction character" in response.content.decode()
    assert not Customer.objects.exists()


def test_models_refuse_them_in_full_clean():
    customer = CustomerFactory.build(name="Bell\x07Co", notes="ok\nfine")
    with pytest.raises(ValidationError) as caught:
        customer.full_clean()
    assert set(caught.value.message_dict) == {"name"}
    contact = ContactFactory.build(customer=CustomerFactory(), name="Ann\u2067", public_notes="a\u202db")
    with pytest.raises(ValidationError) as caught:
        contact.full_clean()
    assert {"name", "public_notes"} <= set(caught.value.message_dict)


@pytest.mark.parametrize(("model_path", "field"), [
    ("providers.models.Provider", "name"), ("rates.models.RateCard", "name"), ("packages.models.Package", "name"),
    ("calls.models.Switch", "name"), ("invoicing.models.InvoiceTemplate", "name"),
    ("invoicing.models.InvoiceLine", "description"), ("invoicing.models.Payment", "description"),
    ("ledger.models.LedgerEntry", "description"), ("alerts.models.Alert", "title"), ("apitokens.models.ApiToken", "name"),
    ("connex.models.AccountOptions", "company_name")])
def test_every_name_staff_type_refuses_a_text_direction_override(model_path, field):
    from django.utils.module_loading import import_string

    model = import_string(model_path)
    with pytest.raises(ValidationError) as caught:
        model._meta.get_field(field).clean("Invoice\u202eexe.pdf", model())
    assert "text-direction character" in " ".join(caught.value.messages)
