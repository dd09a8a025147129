"""Settings → Number blocks, mounted under /settings/ beside the other settings pages."""

from django.urls import path

from .views import NumberRangeOptionsView

app_name = "numberblocks_settings"

urlpatterns = [
    path("number-blocks/", NumberRangeOptionsView.as_view(), name="options"),
]
