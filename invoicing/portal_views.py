from django.shortcuts import get_object_or_404, render

from customers.models import PortalSection
from portal.access import portal_customer, portal_section_required

from .models import Invoice, Payment
from .views import _pdf_response


@portal_section_required(PortalSection.INVOICES)
def invoice_list(request):
    invoices = Invoice.objects.filter(customer=portal_customer(request)).exclude(
        status=Invoice.Status.DRAFT).order_by("-period_start", "-pk")
    return render(request, "invoicing/portal/invoice_list.html", {"invoices": invoices, "title": "Invoices"})


@portal_section_required(PortalSection.INVOICES)
def invoice_pdf(request, pk):
    invoice = get_object_or_404(Invoice.objects.exclude(status=Invoice.Status.DRAFT),
                                pk=pk, customer=portal_customer(request))
    return _pdf_response(invoice)


@portal_section_required(PortalSection.PAYMENTS)
def payment_list(request):
    payments = Payment.objects.filter(customer=portal_customer(request)).prefetch_related("allocations__invoice")
    return render(request, "invoicing/portal/payment_list.html", {"payments": payments, "title": "Payments"})
