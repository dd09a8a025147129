"""Settings → Number blocks, mounted under /settings/ beside the other settings pages."""

from django.urls import path

from connex.views import OptionsFormView

from .forms import NumberRangeOptionsForm

app_name = "numberblocks_settings"

urlpatterns = [
    path("number-blocks/", OptionsFormView.as_view(form_class=NumberRangeOptionsForm, title="Number blocks"),
         name="options"),
]
