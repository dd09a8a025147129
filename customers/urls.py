from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="customer_list"),
    path("new/", views.CustomerFormView.as_view(), name="customer_add"),
    path("delete/", views.CustomerBulkDeleteView.as_view(), name="customer_bulk_delete"),
    path("<int:pk>/", views.CustomerDetailView.as_view(), name="customer_detail"),
    path("<int:pk>/tab/<str:tab>/", views.CustomerDetailView.as_view(), name="customer_tab"),
    path("<int:pk>/edit/", views.CustomerFormView.as_view(), name="customer_edit"),
]
