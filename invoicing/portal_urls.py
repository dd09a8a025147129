from django.urls import path

from . import portal_views

app_name = "invoicing_portal"

urlpatterns = [
    path("invoices/", portal_views.invoice_list, name="invoice_list"),
    path("invoices/<int:pk>/pdf/", portal_views.invoice_pdf, name="invoice_pdf"),
    path("payments/", portal_views.payment_list, name="payment_list"),
]
