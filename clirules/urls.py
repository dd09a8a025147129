from django.urls import path

from . import views

app_name = "clirules"

urlpatterns = [
    path("customer/<int:customer_pk>/new/", views.CliRuleFormView.as_view(), name="cli_rule_add"),
    path("<int:pk>/edit/", views.CliRuleFormView.as_view(), name="cli_rule_edit"),
    path("<int:pk>/delete/", views.CliRuleDeleteView.as_view(), name="cli_rule_delete"),
    path("<int:pk>/move/<str:direction>/", views.CliRuleMoveView.as_view(), name="cli_rule_move"),
]
