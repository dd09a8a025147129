from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from .models import IngressRoute

ROUTE_LOCK = 60613  # advisory lock: tech prefixes are checked across customers sharing an address


def _pattern_problem(pattern: str) -> str | None:
    """PostgreSQL evaluates dial patterns (the importer matches in SQL), so it is the judge."""
    if not pattern:
        return None
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT '' ~ %s", [pattern])
    except DatabaseError as exc:
        message = str(getattr(exc.__cause__, "diag", None) and exc.__cause__.diag.message_primary or exc)
        return f"Not a valid regular expression ({message})."
    return None


def _shared_prefix_owner(route: IngressRoute):
    """Another customer that shares an IP entry with this route's customer and uses its tech prefix."""
    from sipauth.models import IpAuthEntry

    addresses = IpAuthEntry.objects.filter(customer_id=route.customer_id).values("address")
    sharing = (IpAuthEntry.objects.filter(address__in=addresses).exclude(customer_id=route.customer_id)
               .values("customer_id"))
    clash = (IngressRoute.objects.filter(customer_id__in=sharing, tech_prefix=route.tech_prefix)
             .select_related("customer").first())
    return clash.customer if clash else None


@transaction.atomic
def ingress_route_save(*, route: IngressRoute) -> IngressRoute:
    """Validate and save a route: card kind and currency, dial pattern, tech prefix uniqueness."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [ROUTE_LOCK])
    errors = {}
    try:
        route.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    card, customer = route.rate_card if route.rate_card_id else None, route.customer
    if card is not None:
        if card.kind != card.Kind.CUSTOMER:
            errors.setdefault("rate_card", []).append("Choose a customer (sell) card.")
        elif card.currency != customer.currency:
            errors.setdefault("rate_card", []).append(
                f"{card} is in {card.currency}; {customer} is billed in {customer.currency}.")
    if problem := _pattern_problem(route.dial_pattern):
        errors.setdefault("dial_pattern", []).append(problem)
    if "tech_prefix" not in errors and (owner := _shared_prefix_owner(route)):
        errors.setdefault("tech_prefix", []).append(
            f"{owner} sends calls from the same address with this tech prefix; choose another.")
    if errors:
        raise ValidationError(errors)
    route.save()
    return route


@transaction.atomic
def ingress_route_delete(*, route: IngressRoute):
    route.delete()
