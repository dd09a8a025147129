from django.urls import path

from . import views

app_name = "calls"

urlpatterns = [
    path("customer/<int:customer_pk>/simulate/", views.call_simulate_view, name="call_simulate"),
    path("attempts/<int:pk>/trace/", views.call_attempt_trace, name="attempt_trace"),
    path("dialogs/", views.dialogs_page, name="dialogs"),
    path("customer/<int:customer_pk>/dialogs/", views.customer_dialogs, name="customer_dialogs"),
    path("dialogs/end/", views.dialog_end, name="dialog_end"),
]
