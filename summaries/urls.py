from django.urls import path

from . import views

app_name = "summaries"

urlpatterns = [
    path("customers/<int:pk>/summary/", views.SummaryTableView.as_view(), name="summary_table"),
    path("customers/<int:pk>/cdrs.csv", views.CdrReportView.as_view(), name="cdr_report"),
    path("rebuild/", views.RebuildView.as_view(), name="rebuild"),
    path("rebuild/<int:pk>/progress/", views.RebuildProgressView.as_view(), name="rebuild_progress"),
    path("imports/", views.CdrImportListView.as_view(), name="cdr_import_list"),
    path("imports/<int:pk>/", views.CdrImportDetailView.as_view(), name="cdr_import_detail"),
]
