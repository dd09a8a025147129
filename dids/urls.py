from django.urls import path

from . import views

app_name = "dids"

urlpatterns = [
    path("", views.DidListView.as_view(), name="did_list"),
    path("new/", views.DidFormView.as_view(), name="did_add"),
    path("<int:pk>/", views.DidFormView.as_view(), name="did_edit"),
    path("<int:pk>/delete/", views.DidDeleteView.as_view(), name="did_delete"),
    path("upload/", views.DidUploadView.as_view(), name="did_upload"),
    path("upload/template.csv", views.did_upload_template, name="did_upload_template"),
    path("assign/", views.DidBulkAssignView.as_view(), name="did_bulk_assign"),
    path("release/", views.DidBulkReleaseView.as_view(), name="did_bulk_release"),
]
