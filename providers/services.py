"""Writes for providers, their gateways and the buy cards they hold (the routing snapshot follows
through routing.signals)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from rates.models import RateCard

from .models import Gateway, Provider, ProviderRateCard


def _full_clean(obj, exclude=None):
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


@transaction.atomic
def provider_save(*, provider: Provider) -> Provider:
    """Validate and save; the currency may change only while no card in the old one is attached."""
    provider.name = (provider.name or "").strip()
    provider.currency = (provider.currency or "").strip().upper()
    _full_clean(provider)
    if provider.pk:
        other = provider.card_links.exclude(card__currency=provider.currency).select_related("card").first()
        if other is not None:
            raise ValidationError({"currency": f"{other.card} is in {other.card.currency}; detach it before "
                                               f"changing the currency."})
    provider.save()
    return provider


@transaction.atomic
def provider_delete(*, provider: Provider):
    """Deletes the provider with its gateways; its buy cards stay, free to attach elsewhere."""
    provider.delete()


@transaction.atomic
def gateway_save(*, gateway: Gateway) -> Gateway:
    _full_clean(gateway)
    try:
        with transaction.atomic():
            gateway.save()
    except IntegrityError:
        raise ValidationError({"host": "This provider already has this gateway."}) from None
    return gateway


@transaction.atomic
def gateway_delete(*, gateway: Gateway):
    gateway.delete()


@transaction.atomic
def provider_card_attach(*, provider: Provider, card: RateCard) -> ProviderRateCard:
    """The provider's prices are now those of `card`: a provider (buy) card in its currency, held by no one else."""
    card = RateCard.objects.select_for_update().get(pk=card.pk)
    if card.kind != RateCard.Kind.PROVIDER:
        raise ValidationError({"card": f"{card} is a customer (sell) card; choose a provider card."})
    if card.currency != provider.currency:
        raise ValidationError({"card": f"{card} is in {card.currency}; {provider} is paid in {provider.currency}."})
    holder = ProviderRateCard.objects.filter(card=card).select_related("provider").first()
    if holder is not None:
        raise ValidationError({"card": f"{card} already belongs to {holder.provider}."})
    return ProviderRateCard.objects.create(provider=provider, card=card)


@transaction.atomic
def provider_card_detach(*, link: ProviderRateCard):
    link.delete()
