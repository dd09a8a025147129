"""Settings → Invoicing, mounted under /settings/ beside the other settings pages."""

from django.urls import path

from connex.views import OptionsFormView

from .forms import InvoicingOptionsForm

app_name = "invoicing_settings"

urlpatterns = [
    path("invoicing/", OptionsFormView.as_view(form_class=InvoicingOptionsForm, title="Invoicing"), name="options"),
]
