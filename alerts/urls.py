from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("customer/<int:customer_pk>/new/", views.AlertFormView.as_view(), name="alert_add"),
    path("<int:pk>/edit/", views.AlertFormView.as_view(), name="alert_edit"),
    path("<int:pk>/delete/", views.AlertDeleteView.as_view(), name="alert_delete"),
    path("<int:pk>/test/", views.AlertSendTestView.as_view(), name="alert_test"),
]
