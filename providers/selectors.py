from django.db.models import Count, Q

from .models import Provider


def provider_list():
    return Provider.objects.annotate(gateway_count=Count("gateways", distinct=True),
                                     card_count=Count("card_links", distinct=True))


def provider_get(*, pk):
    return (Provider.objects.prefetch_related("gateways", "card_links__card")
            .annotate(active_gateways=Count("gateways", filter=Q(gateways__enabled=True))).get(pk=pk))
