import django_filters
from rest_framework import serializers

from connex.api import ServiceModelViewSet
from customers.api import CustomerOwnedSerializer

from . import services
from .models import RecalcJob
from .selectors import recalc_job_list


class RecalcJobSerializer(CustomerOwnedSerializer):
    unpriced = serializers.ListField(child=serializers.ListField(child=serializers.CharField()), read_only=True,
                                     help_text="Calls left as they were: [call_id, reason].")
    invoices = serializers.ListField(child=serializers.CharField(), read_only=True,
                                     help_text="Issued invoices whose period holds the day (never changed).")

    class Meta:
        model = RecalcJob
        fields = ["id", "customer", "day", "mode", "longer_than", "new_duration", "state", "preview_calls",
                  "preview_delta", "calls", "delta", "unpriced", "invoices", "ledger_entry", "error", "created",
                  "updated"]
        read_only_fields = ["state", "preview_calls", "preview_delta", "calls", "delta", "ledger_entry", "error",
                            "created", "updated"]


class RecalcJobFilterSet(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id")
    state = django_filters.ChoiceFilter(choices=RecalcJob.State.choices)

    class Meta:
        model = RecalcJob
        fields = ["customer", "day", "mode", "state"]


def recalc_job_api_list(*, user):
    return recalc_job_list(user=user).order_by("pk")


class RecalcJobViewSet(ServiceModelViewSet):
    """Recalcs of a customer's UTC day of CDRs. Creating one previews it, queues it and answers the
    job; poll it until `state` is done (or failed). `delta` is the ledger adjustment it posted."""

    selector = staticmethod(recalc_job_api_list)
    serializer_class = RecalcJobSerializer
    filterset_class = RecalcJobFilterSet
    save_service = staticmethod(services.recalc_job_create)
    http_method_names = ["get", "post", "head", "options"]
