"""The generic list pages refuse a page size they cannot page by, with a 400 naming the choices."""

import pytest

from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/customers/?per_page=-1", "/audit/?per_page=-1", "/invoicing/?per_page=-1",
                                 "/customers/?per_page=7", "/contacts/?per_page=abc"])
def test_a_per_page_the_table_cannot_use_is_a_400_naming_the_choices(staff_client, url):
    staff_client.raise_request_exception = True
    response = staff_client.get(url)
    assert response.status_code == 400
    assert response.content.decode() == "per_page must be one of 25, 50, 100, 250."


def test_out_of_range_page_numbers_still_show_a_page(staff_client):
    CustomerFactory()
    for page in ("-1", "0", "99999999999999999999", "abc"):
        assert staff_client.get(f"/customers/?page={page}").status_code == 200
