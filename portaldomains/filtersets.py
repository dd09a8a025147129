import django_filters

from .models import PortalDomain


class PortalDomainFilterSet(django_filters.FilterSet):
    host = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = PortalDomain
        fields = ["host"]
