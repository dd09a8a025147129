"""The branded portal domain of a request, and what it shows and offers."""

from django.core.exceptions import DisallowedHost

from portaldomains.selectors import brand_for, domain_for_host


def request_domain(request):
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    return domain_for_host(host)


def request_brand(request):
    return brand_for(getattr(request, "portal_domain", None))


def section_offered(request, section) -> bool:
    """A section shows when the customer's Portal Access and the domain's features both allow it."""
    customer = request.portal_contact.customer
    domain = getattr(request, "portal_domain", None)
    return customer.shows_in_portal(section) and (domain is None or domain.offers(section))
