from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="customer_list"),
    path("new/", views.CustomerEditView.as_view(), name="customer_add"),
    path("delete/", views.CustomerBulkDeleteView.as_view(), name="customer_bulk_delete"),
    path("<int:pk>/", views.CustomerDetailView.as_view(), name="customer_detail"),
    path("<int:pk>/tab/<str:tab>/", views.CustomerDetailView.as_view(), name="customer_tab"),
    path("<int:pk>/edit/", views.CustomerEditView.as_view(), name="customer_edit"),
    path("<int:pk>/delete/", views.CustomerDeleteView.as_view(), name="customer_delete"),
]

urlpatterns += [
    path("import/", views.CustomerImportView.as_view(), name="customer_import"),
    path("import/template.<str:fmt>", views.customer_import_template, name="customer_import_template"),
    path("import/<int:pk>/", views.CustomerImportDetailView.as_view(), name="customer_import_detail"),
    path("defaults/", views.CustomerDefaultsView.as_view(), name="customer_defaults"),
    path("bulk-edit/", views.CustomerBulkEditView.as_view(), name="customer_bulk_edit"),
    path("delayed-changes/<int:pk>/cancel/", views.DelayedChangeCancelView.as_view(), name="delayed_change_cancel"),
]
