"""Which branded domain a request or a customer belongs to, and the brand it shows."""

from dataclasses import dataclass

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from customers.models import Customer

from .models import PortalDomain


def domain_list(*, user=None) -> QuerySet[PortalDomain]:
    """Every portal domain with how many customers sign in at it (`customer_count`)."""
    count = Customer.objects.filter(domain=OuterRef("host")).order_by().values("domain").annotate(
        n=Count("pk")).values("n")
    return PortalDomain.objects.annotate(customer_count=Coalesce(Subquery(count), 0))


def domain_for_host(host: str) -> PortalDomain | None:
    """The portal domain answering at `host` (port ignored), or None for the main portal."""
    name = (host or "").split(":")[0].strip().lower().rstrip(".")
    if not name:
        return None
    return PortalDomain.objects.filter(host=name).first()


def domain_for_customer(customer) -> PortalDomain | None:
    return PortalDomain.objects.filter(host=customer.domain).first() if customer.domain else None


@dataclass(frozen=True)
class Brand:
    """What the portal and emails show: a branded domain's identity, or the company's."""

    name: str
    logo_url: str = ""
    primary_colour: str = ""
    accent_colour: str = ""
    support_email: str = ""
    support_phone: str = ""
    base_url: str = ""


def _logo_url(image, changed):
    # The portal serves the brand's logo itself (portal:brand_logo); the version busts caches.
    from django.urls import reverse

    return f"{reverse('portal:brand_logo')}?v={int(changed.timestamp())}" if image else ""


def brand_for(domain) -> Brand:
    if domain is not None:
        return Brand(name=domain.display_name, logo_url=_logo_url(domain.logo, domain.updated),
                     primary_colour=domain.primary_colour, accent_colour=domain.accent_colour,
                     support_email=domain.support_email, support_phone=domain.support_phone,
                     base_url=f"https://{domain.host}")
    from connex.models import AccountOptions

    options = AccountOptions.get()
    return Brand(name=options.company_name, logo_url=_logo_url(options.company_logo, options.updated),
                 support_email=options.company_email)


def customer_brand(customer) -> Brand:
    """The brand of emails to this customer: its domain's, else the company's."""
    return brand_for(domain_for_customer(customer))


def customer_link(customer, path: str, fallback: str = "") -> str:
    """An absolute link into the portal at the customer's own domain (else `fallback`, else the path)."""
    domain = domain_for_customer(customer)
    if domain is not None:
        return f"https://{domain.host}{path}"
    return fallback or path


def customer_portal_url(customer, url: str) -> str:
    """`url` (absolute or a path) moved to the customer's own portal domain, when it has one."""
    from urllib.parse import urlsplit, urlunsplit

    domain = domain_for_customer(customer)
    if domain is None:
        return url
    parts = urlsplit(url)
    return urlunsplit(("https", domain.host, parts.path or "/", parts.query, parts.fragment))
