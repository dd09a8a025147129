import re

import pghistory
from django.core.exceptions import ValidationError
from django.db import models

from connex.models import TimeStampedModel

PATTERN_FIELDS = ("cli_pattern", "pai_pattern", "dialed_pattern")


@pghistory.track(
    pghistory.InsertEvent("cli_rule.created"),
    pghistory.UpdateEvent("cli_rule.updated"),
    pghistory.DeleteEvent("cli_rule.deleted"),
    exclude=["updated"],
)
class CliRule(TimeStampedModel):
    """One of a customer's ordered caller-ID rules: the first whose patterns all match applies.

    Once a customer has any rule, a call that matches none is refused (CLI restriction).
    Patterns are Python regular expressions searched in the digits (leading + or 00 removed);
    an empty pattern matches anything. A rewrite is a regex replacement of the matched part
    (`\\1` refers to a group), or the whole new value when the rule is forced.
    """

    class Direction(models.TextChoices):
        ANY = "", "Any"
        TERMINATION = "termination", "Termination"
        ORIGINATION = "origination", "Origination"

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="cli_rules")
    position = models.PositiveSmallIntegerField(default=100, help_text="Rules are tried from the lowest.")
    cli_pattern = models.CharField("CLI pattern", max_length=200, blank=True)
    pai_pattern = models.CharField("P-Asserted-ID pattern", max_length=200, blank=True)
    dialed_pattern = models.CharField(max_length=200, blank=True)
    direction = models.CharField(max_length=12, choices=Direction.choices, blank=True, default=Direction.ANY)
    rewrite_cli = models.CharField("rewrite CLI", max_length=120, blank=True,
                                   help_text="Replacement for the matched CLI, e.g. 44\\1; empty keeps it.")
    rewrite_pai = models.CharField("rewrite P-Asserted-ID", max_length=120, blank=True,
                                   help_text="Replacement for the matched P-Asserted-ID; empty keeps it.")
    forced = models.BooleanField(default=False, help_text="Use the rewrites as fixed values, whatever came in.")

    class Meta:
        ordering = ["customer", "position", "pk"]
        verbose_name = "CLI rule"

    def __str__(self):
        parts = [f"CLI {self.cli_pattern}" if self.cli_pattern else "",
                 f"PAI {self.pai_pattern}" if self.pai_pattern else "",
                 f"dialed {self.dialed_pattern}" if self.dialed_pattern else ""]
        return " · ".join(p for p in parts if p) or "any call"

    def clean(self):
        super().clean()
        errors = {}
        for name in PATTERN_FIELDS:
            pattern = getattr(self, name)
            if pattern:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    errors[name] = f"Not a valid regular expression: {exc}."
        if not self.forced:
            for name, pattern_name in (("rewrite_cli", "cli_pattern"), ("rewrite_pai", "pai_pattern")):
                template, pattern = getattr(self, name), getattr(self, pattern_name)
                if template and pattern and pattern_name not in errors:
                    try:
                        re.compile(pattern).sub(template, "")
                    except (re.error, IndexError) as exc:
                        errors[name] = f"Does not fit the pattern: {exc}."
        if errors:
            raise ValidationError(errors)
