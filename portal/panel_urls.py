from django.urls import path

from . import panel_views

app_name = "portal_panel"

urlpatterns = [
    path("<int:customer_pk>/clis/<int:pk>/revoke/", panel_views.cli_revoke, name="cli_revoke"),
]
