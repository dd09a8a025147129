"""The card's CLI tab: ordered rules, added, edited, moved and deleted in place."""

import random

import pytest

from clirules.models import CliRule
from routing.engine import CallRequest, decide
from tests.factories import CliRuleFactory, CustomerFactory, StaffFactory
from tests.routing.helpers import NOW, customer_with_route, provider

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
RULE = {"cli_pattern": r"^0(\d{10})$", "pai_pattern": "", "dialed_pattern": "^44", "direction": "",
        "rewrite_cli": r"44\1", "rewrite_pai": ""}


def order(customer):
    return list(CliRule.objects.filter(customer=customer).order_by("position", "pk").values_list("cli_pattern",
                                                                                                 flat=True))


def test_tab_without_rules_explains_that_every_cli_goes_through(staff_client):
    customer = CustomerFactory()
    page = staff_client.get(f"/customers/{customer.pk}/tab/cli/").content.decode()
    assert "No CLI rules: every CLI goes through unchanged" in page
    assert "refused with 403 “CLI restriction”" in page


def test_tab_lists_rules_in_order_and_warns_that_unmatched_calls_are_refused(staff_client):
    customer = CustomerFactory()
    CliRuleFactory(customer=customer, position=2, cli_pattern="^second")
    CliRuleFactory(customer=customer, position=1, cli_pattern="^first")
    page = staff_client.get(f"/customers/{customer.pk}/tab/cli/").content.decode()
    assert page.index("^first") < page.index("^second")
    assert "CLI restriction is on" in page and "matches <em>none</em>" in page


def test_a_new_rule_goes_last_and_the_section_is_refreshed(staff_client):
    customer = CustomerFactory()
    CliRuleFactory(customer=customer, position=5, cli_pattern="^1")
    form = staff_client.get(f"/clirules/customer/{customer.pk}/new/", **HTMX).content.decode()
    assert "New CLI rule" in form
    response = staff_client.post(f"/clirules/customer/{customer.pk}/new/", RULE, **HTMX)
    assert response.status_code == 200 and response["HX-Retarget"] == "#cli-rules"
    assert "saved" in response.content.decode()
    assert order(customer) == ["^1", r"^0(\d{10})$"]
    assert CliRule.objects.get(cli_pattern=RULE["cli_pattern"]).position == 6


def test_bad_patterns_show_errors_beside_fields_and_save_nothing(staff_client):
    customer = CustomerFactory()
    response = staff_client.post(f"/clirules/customer/{customer.pk}/new/",
                                 RULE | {"cli_pattern": "(", "dialed_pattern": "[", "direction": "sideways"}, **HTMX)
    page = response.content.decode()
    assert "HX-Retarget" not in response and 'id="cli-rule-edit-form"' in page
    errors = response.context["form"].errors
    assert {"cli_pattern", "dialed_pattern", "direction"} <= set(errors)
    assert "Not a valid regular expression" in errors["cli_pattern"][0]
    response = staff_client.post(f"/clirules/customer/{customer.pk}/new/",
                                 RULE | {"cli_pattern": r"^0(\d+)$", "rewrite_cli": r"44\2"}, **HTMX)
    assert "Does not fit the pattern" in response.context["form"].errors["rewrite_cli"][0]
    assert not CliRule.objects.exists()


def test_edit_and_delete_a_rule(staff_client):
    rule = CliRuleFactory(cli_pattern="^1")
    staff_client.post(f"/clirules/{rule.pk}/edit/", RULE | {"cli_pattern": "^2", "forced": "on"}, **HTMX)
    rule.refresh_from_db()
    assert (rule.cli_pattern, rule.forced) == ("^2", True)
    response = staff_client.post(f"/clirules/{rule.pk}/delete/", **HTMX)
    assert "deleted" in response.content.decode() and not CliRule.objects.exists()


def test_moving_a_rule_changes_the_order_the_engine_tries(staff_client):
    customer, _ = customer_with_route()
    provider({"44": "0.001"})
    first = CliRuleFactory(customer=customer, position=1, cli_pattern="^44", rewrite_cli="441111111111", forced=True)
    second = CliRuleFactory(customer=customer, position=2, cli_pattern="^44", rewrite_cli="442222222222",
                            forced=True)

    def cli_sent():
        decision = decide(CallRequest(dialed="447911123456", cli="447000000000", customer_id=customer.pk, at=NOW),
                          rng=random.Random(1))
        return decision.cli

    assert cli_sent() == "441111111111"
    response = staff_client.post(f"/clirules/{second.pk}/move/up/", **HTMX)
    assert "moved up" in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (second.position, first.position) == (1, 2)
    assert cli_sent() == "442222222222"
    # Already first: nothing moves.
    staff_client.post(f"/clirules/{second.pk}/move/up/", **HTMX)
    second.refresh_from_db()
    assert second.position == 1
    assert staff_client.post(f"/clirules/{second.pk}/move/sideways/", **HTMX).status_code == 404


def test_adding_the_first_rule_refuses_calls_that_match_none(staff_client):
    customer, _ = customer_with_route()
    provider({"44": "0.001"})
    call = CallRequest(dialed="447911123456", cli="33123456789", customer_id=customer.pk, at=NOW)
    assert decide(call).allowed
    staff_client.post(f"/clirules/customer/{customer.pk}/new/", RULE | {"cli_pattern": "^44", "rewrite_cli": ""}, **HTMX)
    assert CliRule.objects.filter(customer=customer).exists()
    decision = decide(call)
    assert (decision.allowed, decision.sip_code, decision.reasons) == (False, 403, ["CLI restriction"])


def test_read_only_staff_see_the_tab_but_cannot_change_rules(client):
    rule = CliRuleFactory()
    client.force_login(StaffFactory(username="reader", groups=["Read-only"]))
    page = client.get(f"/customers/{rule.customer.pk}/tab/cli/").content.decode()
    assert rule.cli_pattern in page or "CLI restriction is on" in page
    assert 'id="cli-rule-add"' not in page and "move/up" not in page
    for url in (f"/clirules/customer/{rule.customer.pk}/new/", f"/clirules/{rule.pk}/edit/",
                f"/clirules/{rule.pk}/delete/", f"/clirules/{rule.pk}/move/down/"):
        assert client.post(url, RULE).status_code == 403
    assert CliRule.objects.count() == 1
