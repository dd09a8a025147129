"""Settings → Email and Settings → SMS, mounted under /settings/ beside the other settings pages."""

from django.urls import path

from . import views

app_name = "messaging_settings"

urlpatterns = [
    path("email/", views.EmailSettingsView.as_view(), name="email"),
    path("sms/", views.SmsSettingsView.as_view(), name="sms"),
]
