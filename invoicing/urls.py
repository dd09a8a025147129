from django.urls import path

from . import views

app_name = "invoicing"

urlpatterns = [
    path("", views.InvoiceListView.as_view(), name="invoice_list"),
    path("<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("<int:pk>/issue/", views.invoice_issue, name="invoice_issue"),
    path("<int:pk>/void/", views.invoice_void, name="invoice_void"),
    path("<int:pk>/send/", views.invoice_send, name="invoice_send"),
    path("<int:pk>/rerender/", views.invoice_rerender, name="invoice_rerender"),
    path("<int:pk>/lines/", views.invoice_line_add, name="invoice_line_add"),
    path("<int:pk>/lines/<int:line_pk>/", views.invoice_line_edit, name="invoice_line_edit"),
    path("customer/<int:customer_pk>/generate/", views.invoice_generate, name="invoice_generate"),
    path("customer/<int:customer_pk>/auto-generate/", views.invoice_auto_generate, name="invoice_auto_generate"),
    path("customer/<int:customer_pk>/draft/", views.invoice_draft_create, name="invoice_draft_create"),
    path("customer/<int:customer_pk>/payments/add/", views.PaymentAddView.as_view(), name="payment_add"),
    path("payments/<int:pk>/status/", views.payment_status, name="payment_status"),
    path("templates/", views.template_list, name="template_list"),
    path("templates/new/", views.InvoiceTemplateEditView.as_view(), name="template_add"),
    path("templates/<int:pk>/", views.InvoiceTemplateEditView.as_view(), name="template_edit"),
    path("templates/preview/", views.template_preview, name="template_preview"),
]
