from django.apps import AppConfig


class SummariesConfig(AppConfig):
    name = "summaries"

    def ready(self):
        from connex.registry import register_delete_guard

        register_delete_guard(customers_with_call_records)


def customers_with_call_records(customer_ids):
    from .models import CallDetailRecord

    found = CallDetailRecord.objects.filter(customer_id__in=customer_ids).values_list(
        "customer_id", flat=True).distinct()
    return {cid: "has call records (CDRs), which are financial history" for cid in found}
