import pytest

from numberblocks.models import NumberBlock, NumberRangeOptions
from tests.api_cases import audit_actors, results
from tests.factories import CustomerFactory, NumberBlockFactory, SipUserFactory, StaffFactory

pytestmark = pytest.mark.django_db

ALL = ("numberblocks.view_numberblock", "numberblocks.add_numberblock", "numberblocks.delete_numberblock")


def set_options(start, size):
    NumberRangeOptions.objects.update_or_create(pk=1, defaults={"number_range_start": start, "block_size": size})


@pytest.fixture
def api(api_client):
    return api_client(*ALL, "customers.view_all_customers", user=StaffFactory(perms=(), username="provisioner"))


def test_assign_list_and_release_blocks(api):
    set_options(1000, 100)
    customer = CustomerFactory()
    url = f"/api/v1/customers/{customer.pk}/number-blocks/"
    first = api.post(url)
    assert first.status_code == 201, first.content
    assert (first.json()["start"], first.json()["end"], first.json()["size"]) == (1000, 1099, 100)
    assert api.post(url).json()["start"] == 1100
    assert [(r["start"], r["end"]) for r in results(api.get(url))] == [(1000, 1099), (1100, 1199)]
    block = NumberBlock.objects.get(start=1000)
    assert api.delete(f"{url}{block.pk}/").status_code == 204
    assert list(NumberBlock.objects.values_list("start", flat=True)) == [1100]
    assert audit_actors(block) == ["provisioner", "provisioner"]


def test_assignment_without_options_is_a_400(api):
    response = api.post(f"/api/v1/customers/{CustomerFactory().pk}/number-blocks/")
    assert response.status_code == 400 and "Settings → Number blocks" in response.json()["non_field_errors"][0]
    assert not NumberBlock.objects.exists()


def test_a_block_in_use_cannot_be_released(api):
    customer = CustomerFactory()
    block = NumberBlockFactory(customer=customer, start=5000, end=5099)
    SipUserFactory(customer=customer, extension=5005)
    response = api.delete(f"/api/v1/customers/{customer.pk}/number-blocks/{block.pk}/")
    assert response.status_code == 400 and "5005" in response.json()["non_field_errors"][0]
    assert NumberBlock.objects.filter(pk=block.pk).exists()


def test_a_block_is_reached_only_through_its_own_customer(api):
    block = NumberBlockFactory()
    other = CustomerFactory()
    assert api.delete(f"/api/v1/customers/{other.pk}/number-blocks/{block.pk}/").status_code == 404
    assert NumberBlock.objects.filter(pk=block.pk).exists()


def test_blocks_need_permission_scope_and_the_customer(api_client):
    set_options(1000, 100)
    manager = StaffFactory(perms=())
    customer = CustomerFactory()
    block = NumberBlockFactory(customer=customer, start=9000, end=9099)
    url = f"/api/v1/customers/{customer.pk}/number-blocks/"
    viewer = api_client("numberblocks.view_numberblock", "customers.view_all_customers")
    assert viewer.post(url).status_code == 403
    reader = api_client(*ALL, "customers.view_all_customers", scopes=["read"])
    assert reader.delete(f"{url}{block.pk}/").status_code == 403
    not_theirs = api_client(*ALL, user=manager)
    assert not_theirs.get(url).status_code == 404
    assert not_theirs.post(url).status_code == 404
    assert list(NumberBlock.objects.values_list("pk", flat=True)) == [block.pk]
