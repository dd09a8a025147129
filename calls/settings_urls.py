"""Settings → Calls and Settings → Switches, mounted under /settings/ beside the other settings pages."""

from django.urls import path

from . import views

app_name = "calls_settings"

urlpatterns = [
    path("calls/", views.CallOptionsView.as_view(), name="options"),
    path("switches/", views.SwitchListView.as_view(), name="switch_list"),
    path("switches/new/", views.SwitchFormView.as_view(), name="switch_create"),
    path("switches/<int:pk>/", views.SwitchFormView.as_view(), name="switch_edit"),
    path("switches/<int:pk>/delete/", views.SwitchDeleteView.as_view(), name="switch_delete"),
]
