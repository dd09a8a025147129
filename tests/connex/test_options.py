import pytest

from connex.models import AccountOptions
from connex.registry import registry

pytestmark = pytest.mark.django_db


def test_settings_index_lists_the_card_of_every_registered_settings_page(staff_client):
    page = staff_client.get("/settings/").content.decode()
    hrefs = ["/settings/company/", "/settings/invoicing/", "/settings/number-blocks/", "/settings/email/",
             "/settings/sms/"]
    assert all(f'href="{href}"' in page for href in hrefs)
    # Each card is one the apps registered; the core lists them without knowing the apps.
    assert {"Company", "Invoicing", "Number blocks", "Email", "SMS"} <= {s.label for s in registry.settings_sections}
    for href in hrefs:
        assert staff_client.get(href).status_code == 200


def test_company_page_saves_the_identity_printed_on_invoices_and_is_audited(staff_client):
    response = staff_client.post("/settings/company/", {"company_name": "Carrier Ltd", "company_address": "1 Street",
                                                        "company_email": "ops@carrier.test"})
    assert response.status_code == 302
    options = AccountOptions.get()
    assert (options.company_name, options.company_email) == ("Carrier Ltd", "ops@carrier.test")
    assert options.events.order_by("-pgh_id").first().pgh_context.metadata["actor"] == "alice"


def test_company_page_refuses_a_bad_email_next_to_the_field_and_saves_nothing(staff_client):
    response = staff_client.post("/settings/company/", {"company_name": "Carrier Ltd", "company_email": "nope"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Enter a valid email address." in page[page.index('id="field-company_email"'):]
    assert AccountOptions.get().company_name == "Connex Carrier Ltd"


def test_only_one_row_of_each_settings_model_can_exist():
    from django.db import IntegrityError

    from invoicing.models import InvoicingOptions
    from messaging.models import MessagingOptions
    from numberblocks.models import NumberRangeOptions

    for model in (AccountOptions, InvoicingOptions, MessagingOptions, NumberRangeOptions):
        model.get()
        with pytest.raises(IntegrityError):
            from django.db import transaction

            with transaction.atomic():
                model.objects.create(pk=2)


@pytest.mark.parametrize(("role", "allowed"), [
    ("Administrator", {"/settings/company/", "/settings/invoicing/", "/settings/number-blocks/", "/settings/email/",
                       "/settings/sms/"}),
    ("Finance", set()),
    ("Support", set()),
    ("Read-only", set()),
])
def test_each_settings_page_needs_its_permission_and_its_card_shows_only_with_it(client, role, allowed):
    from tests.factories import StaffFactory

    client.force_login(StaffFactory(groups=[role]))
    index = client.get("/settings/").content.decode()
    for href in ("/settings/company/", "/settings/invoicing/", "/settings/number-blocks/", "/settings/email/",
                 "/settings/sms/"):
        assert (f'href="{href}"' in index) is (href in allowed)
        assert client.get(href).status_code == (200 if href in allowed else 403)
