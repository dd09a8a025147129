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


def _provider_card_problems(route: IngressRoute, lock_cards, exclude_cards) -> dict:
    """Lock and exclude lists hold provider cards in the customer's currency, and no card is in both."""
    errors = {}
    currency = route.customer.currency
    for name, cards in (("lock_cards", lock_cards), ("exclude_cards", exclude_cards)):
        for card in cards or ():
            if card.kind != card.Kind.PROVIDER:
                errors.setdefault(name, []).append(f"{card} is a customer (sell) card; choose provider cards.")
            elif card.currency != currency:
                errors.setdefault(name, []).append(
                    f"{card} is in {card.currency}; {route.customer} is billed in {currency}, so it is never used.")
    if lock_cards is not None or exclude_cards is not None:
        def kept(cards, field):  # a list not given stays as saved
            if cards is not None:
                return set(cards)
            return set(getattr(route, field).all()) if route.pk else set()

        locked, excluded = kept(lock_cards, "lock_cards"), kept(exclude_cards, "exclude_cards")
        both = sorted(str(card) for card in locked & excluded)
        if both:
            errors.setdefault("exclude_cards", []).append(
                f"{', '.join(both)} cannot be both locked and excluded.")
    return errors


@transaction.atomic
def ingress_route_save(*, route: IngressRoute, lock_cards=None, exclude_cards=None) -> IngressRoute:
    """Validate and save a route: card kind and currency, dial pattern, tech prefix uniqueness, and the
    strategy's lock and exclude lists (None keeps a list as it is)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [ROUTE_LOCK])
    errors = {}
    try:
        route.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for field, messages in _provider_card_problems(route, lock_cards, exclude_cards).items():
        errors.setdefault(field, []).extend(messages)
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
    if lock_cards is not None:
        route.lock_cards.set(lock_cards)
    if exclude_cards is not None:
        route.exclude_cards.set(exclude_cards)
    return route


@transaction.atomic
def ingress_route_delete(*, route: IngressRoute):
    route.delete()
