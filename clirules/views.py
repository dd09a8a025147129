from django.http import Http404
from django.views import View

from connex.generic import (
    CardSection,
    CardSectionDeleteView,
    CardSectionFormView,
    CustomerObjectMixin,
    section_response,
)

from . import services
from .forms import CliRuleForm
from .models import CliRule


def cli_tab_context(request, customer):
    return {"cli_rules": list(CliRule.objects.filter(customer=customer).order_by("position", "pk"))}


CLI_RULES = CardSection("cli-rules", "clirules/partials/cli_rules.html", cli_tab_context)


class CliRuleFormView(CardSectionFormView):
    model = CliRule
    form_class = CliRuleForm
    form_template = "clirules/partials/cli_rule_form.html"
    object_name = "rule"
    section = CLI_RULES

    def save(self, form):
        rule = services.cli_rule_save(rule=form.save(commit=False), last=True)
        return f"CLI rule {rule.position} ({rule}) saved.", {}


class CliRuleDeleteView(CardSectionDeleteView):
    model = CliRule
    section = CLI_RULES

    def delete(self, rule):
        services.cli_rule_delete(rule=rule)
        return f"CLI rule {rule} deleted."


class CliRuleMoveView(CustomerObjectMixin, View):
    """Move a rule one place up or down in the order (POST); answers with the refreshed section."""

    model = CliRule
    section = CLI_RULES
    permission_required = "clirules.change_clirule"

    def post(self, request, pk, direction):
        if direction not in ("up", "down"):
            raise Http404("Rules move up or down.")
        rule = self.get_object(pk)
        moved = services.cli_rule_move(rule=rule, up=direction == "up")
        notice = f"CLI rule {rule} moved {direction}." if moved else ""
        return section_response(request, self.section, rule.customer, notice=notice)
