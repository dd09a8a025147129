from django.db import connection

from customers.selectors import visible_through_customer

from .models import Did

_TARGET_SQL = """
SELECT d.id, d.number, d.customer_id, d.customer_card_id, d.provider_id, d.provider_card_id, d.destination_type,
       d.destination_uri, d.channels, d.cps, d.max_duration, s.extension, s.realm, i.address, i.port, i.protocol
FROM dids_did d
LEFT JOIN sipauth_sipuser s ON s.id = d.sip_user_id
LEFT JOIN sipauth_ipauthentry i ON i.id = d.ip_entry_id
WHERE d.number = %s
"""


def did_for_number(number: str):
    """The DID a call to `number` (E.164 digits) reaches, for the routing decision: one indexed query."""
    from routing.inbound import InboundTarget

    digits = (number or "").lstrip("+")
    if not digits.isdigit():
        return None
    with connection.cursor() as cursor:
        cursor.execute(_TARGET_SQL, [digits])
        row = cursor.fetchone()
    if row is None:
        return None
    (did_id, number, customer_id, customer_card_id, provider_id, provider_card_id, kind, uri, channels, cps,
     max_duration, extension, realm, address, port, protocol) = row
    destination = ""
    if kind == Did.DestinationType.SIP_USER and extension is not None:
        uri, destination = f"sip:{extension}@{realm}", f"SIP user {extension}"
    elif kind == Did.DestinationType.IP_ENTRY and address is not None:
        suffix = "" if protocol == "udp" else f";transport={protocol}"
        uri, destination = f"sip:{number}@{address}:{port}{suffix}", f"IP {address}:{port}"
    elif kind == Did.DestinationType.URI and uri:
        destination = uri
    else:
        uri = ""
    return InboundTarget(did_id, number, customer_id, customer_card_id, provider_id, provider_card_id, uri,
                         destination, channels, cps, max_duration)


def did_list(*, user):
    """The inventory a staff member sees: numbers in stock and those of the customers they may see."""
    queryset = Did.objects.select_related("provider", "customer", "customer_card", "provider_card", "sip_user",
                                          "ip_entry")
    return visible_through_customer(user, queryset, optional=True)


def did_list_for_customer(*, customer):
    """A customer's numbers (the card's DID tab, the portal)."""
    return (Did.objects.filter(customer=customer).select_related("customer_card", "sip_user", "ip_entry")
            .order_by("number"))
