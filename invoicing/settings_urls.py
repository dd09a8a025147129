"""Settings → Invoicing, mounted under /settings/ beside the other settings pages."""

from django.urls import path

from .views import InvoicingOptionsView

app_name = "invoicing_settings"

urlpatterns = [
    path("invoicing/", InvoicingOptionsView.as_view(), name="options"),
]
