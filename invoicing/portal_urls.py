from django.urls import path

from connex.permissions import portal_view

from . import portal_views

app_name = "invoicing_portal"

urlpatterns = [
    path("invoices/", portal_views.invoice_list, name="invoice_list"),
    path("invoices/<int:pk>/pdf/", portal_views.invoice_pdf, name="invoice_pdf"),
    path("payments/", portal_views.payment_list, name="payment_list"),
]

# The portal checks the signed-in contact itself (portal.access); staff permissions do not apply.
for pattern in urlpatterns:
    portal_view(pattern.callback)
