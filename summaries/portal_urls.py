from django.urls import path

from . import portal_views

app_name = "summaries_portal"

urlpatterns = [
    path("summaries/", portal_views.summaries, name="summaries"),
    path("summaries/table/", portal_views.summary_table, name="summary_table"),
    path("summaries/cdrs.csv", portal_views.summary_cdr_report, name="cdr_report"),
    path("cdrs/", portal_views.cdrs, name="cdrs"),
    path("cdrs/download.csv", portal_views.cdr_report, name="cdr_month_report"),
]
