from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("customers/<int:pk>/statement/", views.StatementView.as_view(), name="statement"),
]
