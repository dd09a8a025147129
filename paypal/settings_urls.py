"""Settings → PayPal, mounted under /settings/ beside the other settings pages."""

from django.urls import path

from .views import PayPalOptionsView

app_name = "paypal_settings"

urlpatterns = [
    path("paypal/", PayPalOptionsView.as_view(), name="options"),
]
