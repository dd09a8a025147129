from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from customers.models import Customer

from .models import PortalDomain


@transaction.atomic
def domain_save(*, domain: PortalDomain) -> PortalDomain:
    """Validate and save; a renamed host moves its customers with it."""
    domain.host = (domain.host or "").strip().lower()
    domain.full_clean()
    previous = PortalDomain.objects.filter(pk=domain.pk).values_list("host", flat=True).first() if domain.pk else None
    try:
        with transaction.atomic():
            domain.save()
    except IntegrityError:
        raise ValidationError({"host": "Another portal domain already uses this host name."}) from None
    if previous and previous != domain.host:
        Customer.objects.filter(domain=previous).update(domain=domain.host)
    return domain


def domain_delete_refusal(*, domain: PortalDomain) -> str:
    """Why the domain cannot be deleted yet, or '': customers still sign in at it."""
    used = Customer.objects.filter(domain=domain.host).count()
    if used:
        return (f"{used} customer{'s use' if used != 1 else ' uses'} {domain.host}; "
                "choose another domain for them first.")
    return ""


@transaction.atomic
def domain_delete(*, domain: PortalDomain) -> None:
    if refusal := domain_delete_refusal(domain=domain):
        raise ValidationError(refusal)
    domain.delete()
