"""Writes for a customer's ordered CLI rules. Positions run 1…n in the order rules are tried."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from .models import CliRule


def _locked_rules(customer_id):
    """The customer's rules in order, locked: moves and inserts never interleave."""
    return list(CliRule.objects.select_for_update().filter(customer_id=customer_id).order_by("position", "pk"))


@transaction.atomic
def cli_rule_save(*, rule: CliRule, last: bool = False) -> CliRule:
    """Validate and save; with `last`, a new rule is put after the customer's others."""
    try:
        rule.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    if rule.pk is None and last:
        _locked_rules(rule.customer_id)
        last = CliRule.objects.filter(customer_id=rule.customer_id).aggregate(last=Max("position"))["last"]
        rule.position = (last or 0) + 1
    rule.save()
    return rule


@transaction.atomic
def cli_rule_delete(*, rule: CliRule):
    rule.delete()


@transaction.atomic
def cli_rule_move(*, rule: CliRule, up: bool) -> bool:
    """Swap the rule with the one tried before (up) or after it; returns False at either end.
    Positions are renumbered 1…n so the order shown is the order tried."""
    rules = _locked_rules(rule.customer_id)
    index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(rules):
        return False
    rules[index], rules[other] = rules[other], rules[index]
    for position, each in enumerate(rules, 1):
        if each.position != position:
            each.position = position
            each.save(update_fields=["position", "updated"])
    return True
