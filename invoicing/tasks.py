from celery import shared_task

from connex.audit import audited_task
from customers.models import Customer


@shared_task(bind=True)
@audited_task
def invoice_auto_generate_task(self):
    """Daily: queue one auto-generation per scheduled customer (each is idempotent)."""
    ids = list(Customer.objects.exclude(invoice_schedule=Customer.InvoiceSchedule.NONE)
               .order_by("pk").values_list("pk", flat=True))
    for customer_id in ids:
        invoice_auto_generate_customer_task.delay(customer_id)
    return len(ids)


@shared_task(bind=True, acks_late=True)
@audited_task
def invoice_auto_generate_customer_task(self, customer_id):
    from .services import invoice_auto_generate_customer

    return [invoice.pk for invoice in invoice_auto_generate_customer(customer_id=customer_id)]


@shared_task(bind=True)
@audited_task
def invoice_render_pdf_task(self, invoice_id):
    from .models import Invoice
    from .services import invoice_render_pdf

    invoice_render_pdf(invoice=Invoice.objects.get(pk=invoice_id))
