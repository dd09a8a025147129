"""Settings → CDR retention, mounted under /settings/ beside the other settings pages."""

from django.urls import path

from .views import CdrRetentionOptionsView

app_name = "summaries_settings"

urlpatterns = [
    path("cdr-retention/", CdrRetentionOptionsView.as_view(), name="retention"),
]
