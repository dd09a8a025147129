import re

import pytest
from playwright.sync_api import expect

from messaging.models import Broadcast, Message
from tests.factories import ContactFactory, CustomerFactory


@pytest.mark.browser
def test_staff_sends_an_email_from_the_board_with_preview_and_progress(staff_page):
    acme = CustomerFactory(name="Acme Telecom")
    ContactFactory(customer=acme, name="Ann Archer", email="ann@acme.test")
    ContactFactory(customer=acme, name="Bob Baker", email="bob@acme.test")
    CustomerFactory(name="Zeta Networks")
    page = staff_page
    page.goto("/customers/")

    send = page.locator("#send-menu")
    expect(send).to_be_disabled()
    page.locator(f"input[name=pk][value='{acme.pk}']").check()
    send.click()
    page.get_by_role("button", name="Email").click()

    expect(page.locator("#recipient-count")).to_have_text("2")
    page.fill("#id_subject", "Balance for {{ customer.name }}")
    page.fill("#id_body", "Dear ")
    page.locator(".cx-merge-field[data-field='contact.name']").click()
    # The preview follows the typing (htmx), rendered for the first recipient.
    expect(page.locator("#preview-body")).to_have_text("Dear Ann Archer")
    expect(page.locator("#preview-subject")).to_have_text("Balance for Acme Telecom")

    page.locator("#send-button").click()
    page.wait_for_url(re.compile(r"/messaging/broadcasts/\d+/$"))
    expect(page.locator("#broadcast-progress")).to_contain_text("Finished")
    expect(page.locator("#broadcast-progress [data-state=sent]")).to_contain_text("2")
    broadcast = Broadcast.objects.get()
    assert sorted(broadcast.messages.values_list("body", flat=True)) == ["Dear Ann Archer", "Dear Bob Baker"]
    assert set(broadcast.messages.values_list("state", flat=True)) == {Message.State.SENT}
