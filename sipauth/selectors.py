from django.db.models.functions import Lower

from .models import IpAuthEntry, SipUser


def sip_user_get(*, username: str) -> SipUser | None:
    if not username.isdigit() or len(username) > 10:
        return None
    return SipUser.objects.select_related("customer").filter(extension=int(username)).first()


def ip_entry_list(*, address: str, port=None, protocol=None, tech_prefix=None, direction=None):
    """Entries matching a source address; narrowed by port, protocol, tech prefix and direction when given."""
    entries = IpAuthEntry.objects.select_related("customer").annotate(address_lower=Lower("address")).filter(
        address_lower=address.strip().lower())
    if port is not None:
        entries = entries.filter(port=port)
    if protocol:
        entries = entries.filter(protocol=protocol.lower())
    if tech_prefix is not None:
        entries = entries.filter(tech_prefix=tech_prefix)
    if direction:
        entries = entries.filter(direction=direction)
    return entries.order_by("customer__name", "port", "tech_prefix")


def sip_user_api_list(*, user):
    from customers.selectors import visible_through_customer

    return visible_through_customer(user, SipUser.objects.select_related("customer")).order_by("pk")


def ip_entry_api_list(*, user):
    from customers.selectors import visible_through_customer

    return visible_through_customer(user, IpAuthEntry.objects.select_related("customer")).order_by("pk")
