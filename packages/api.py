"""Packages (the catalogue) and package subscriptions through the API."""


from connex.api import ServiceModelSerializer, ServiceModelViewSet
from customers.api import CustomerOwnedSerializer

from . import selectors, services
from .models import Package, PackageSubscription


class PackageSerializer(ServiceModelSerializer):
    class Meta:
        model = Package
        fields = ["id", "name", "currency", "kind", "cost", "retail", "setup_cost", "setup_retail", "frequency",
                  "day_of_month", "minimum_days", "free_minutes", "destination_pattern", "minimum_spend",
                  "created", "updated"]
        read_only_fields = ["created", "updated"]


class PackageViewSet(ServiceModelViewSet):
    """The package catalogue: recurring charges and free-minute bundles, charged by the period."""

    queryset = Package.objects.all()
    serializer_class = PackageSerializer
    filterset_fields = ["kind", "frequency", "currency"]
    save_service = staticmethod(services.package_save)
    delete_service = staticmethod(services.package_delete)


class PackageSubscriptionSerializer(CustomerOwnedSerializer):
    class Meta:
        model = PackageSubscription
        fields = ["id", "customer", "package", "did", "quantity", "start", "end", "auto_decrement", "created",
                  "updated"]
        read_only_fields = ["created", "updated"]


class PackageSubscriptionViewSet(ServiceModelViewSet):
    """A customer's (or one of its DIDs') packages. Periods are charged once each by the periodic run;
    a subscription with charged periods cannot be deleted, only ended."""

    selector = staticmethod(selectors.package_subscription_api_list)
    serializer_class = PackageSubscriptionSerializer
    filterset_fields = ["customer", "package", "did"]
    save_service = staticmethod(services.package_subscription_save)
    delete_service = staticmethod(services.package_subscription_delete)


