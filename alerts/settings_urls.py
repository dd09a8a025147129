"""Settings → Alerts, mounted under /settings/ beside the other settings pages."""

from django.urls import path

from .views import AlertOptionsView

app_name = "alerts_settings"

urlpatterns = [
    path("alerts/", AlertOptionsView.as_view(), name="options"),
]
