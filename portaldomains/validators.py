"""Validators other apps attach to their fields; they look the domains up lazily (no model import)."""

import re

from django.apps import apps
from django.core.exceptions import ValidationError

HOST_RE = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")
COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


def validate_host_name(value):
    if not HOST_RE.match(value or ""):
        raise ValidationError(f"“{value}” is not a host name such as portal.example.com (lower case, no scheme "
                              "or path).")


def validate_colour(value):
    if not COLOUR_RE.match(value or ""):
        raise ValidationError("Give a colour as #RRGGBB, e.g. #0d6efd.")


def validate_portal_domain(value):
    """A customer's Domain must be one of Settings → Portal domains (blank: the main portal)."""
    if not value:
        return
    PortalDomain = apps.get_model("portaldomains", "PortalDomain")
    if not PortalDomain.objects.filter(host=value).exists():
        raise ValidationError(f"“{value}” is not one of the portal domains (Settings → Portal domains).")
