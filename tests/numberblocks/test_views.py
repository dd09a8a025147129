import pytest

from numberblocks.models import NumberBlock, NumberRangeOptions
from tests.factories import CustomerFactory, SipUserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def set_options(start, size):
    NumberRangeOptions.objects.update_or_create(pk=1, defaults={"number_range_start": start, "block_size": size})


def test_options_page_saves_number_range_and_is_audited(staff_client):
    response = staff_client.post("/settings/number-blocks/", {"number_range_start": "1000", "block_size": "500"})
    assert response.status_code == 302
    options = NumberRangeOptions.get()
    assert (options.number_range_start, options.block_size) == (1000, 500)
    event = options.events.order_by("-pgh_id").first()
    assert event.block_size == 500
    assert event.pgh_context.metadata["actor"] == "alice"


@pytest.mark.parametrize(("start", "size", "field"), [("1000", "", "block_size"), ("", "100", "number_range_start"),
                                                       ("1000", "0", "block_size"), ("-5", "10", "number_range_start")])
def test_options_page_refuses_half_or_invalid_range(staff_client, start, size, field):
    response = staff_client.post("/settings/number-blocks/", {"number_range_start": start, "block_size": size})
    assert response.status_code == 422
    assert response.context["form"].errors[field]
    options = NumberRangeOptions.get()
    assert options.number_range_start is None and options.block_size is None


def test_options_page_is_listed_in_settings(staff_client):
    assert b'href="/settings/number-blocks/"' in staff_client.get("/settings/").content


def test_anonymous_visitor_cannot_open_options_or_assign(client):
    customer = CustomerFactory()
    assert client.get("/settings/number-blocks/")["Location"].startswith("/login/")
    set_options(1000, 100)
    assert client.post(f"/numberblocks/customer/{customer.pk}/assign/")["Location"].startswith("/login/")
    assert not NumberBlock.objects.exists()


def test_main_tab_plus_explains_options_when_undefined(staff_client):
    customer = CustomerFactory()
    body = staff_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Internal number blocks" in body
    assert "Number Range Start" in body and 'href="/settings/number-blocks/"' in body
    assert "numberblocks/customer" not in body


def test_plus_assigns_next_block_and_lists_it(staff_client):
    set_options(1000, 100)
    customer = CustomerFactory()
    response = staff_client.post(f"/numberblocks/customer/{customer.pk}/assign/", **HTMX)
    body = response.content.decode()
    assert "Block 1000–1099 assigned." in body
    assert 'data-block="1000"' in body
    event = NumberBlock.objects.get().events.get()
    assert event.pgh_label == "numberblock.assigned"
    assert event.pgh_context.metadata["actor"] == "alice"


def test_card_lists_blocks_with_extensions_in_use(staff_client):
    set_options(1000, 100)
    customer = CustomerFactory()
    staff_client.post(f"/numberblocks/customer/{customer.pk}/assign/", **HTMX)
    staff_client.post(f"/numberblocks/customer/{customer.pk}/assign/", **HTMX)
    SipUserFactory(customer=customer, extension=1101)
    SipUserFactory(customer=customer, extension=1102)
    body = staff_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "1000–1099" in body and "1100–1199" in body
    assert '<td class="num" title="1101 SIP user, 1102 SIP user">2</td>' in body


def test_release_refused_in_place_with_the_extensions(staff_client):
    set_options(1000, 100)
    customer = CustomerFactory()
    staff_client.post(f"/numberblocks/customer/{customer.pk}/assign/", **HTMX)
    block = NumberBlock.objects.get()
    SipUserFactory(customer=customer, extension=1007)
    body = staff_client.post(f"/numberblocks/{block.pk}/release/", **HTMX).content.decode()
    assert "cannot be released while these numbers are in use: 1007 (SIP user)" in body
    assert NumberBlock.objects.filter(pk=block.pk).exists()


def test_release_frees_block_and_is_audited(staff_client):
    set_options(1000, 100)
    customer = CustomerFactory()
    staff_client.post(f"/numberblocks/customer/{customer.pk}/assign/", **HTMX)
    block = NumberBlock.objects.get()
    body = staff_client.post(f"/numberblocks/{block.pk}/release/", **HTMX).content.decode()
    assert "Block 1000–1099 released." in body
    assert not NumberBlock.objects.exists()
    assert NumberBlock.pgh_event_model.objects.filter(pgh_label="numberblock.released", start=1000).exists()
