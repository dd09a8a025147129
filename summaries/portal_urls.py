from django.urls import path

from connex.permissions import portal_view

from . import portal_views

app_name = "summaries_portal"

urlpatterns = [
    path("summaries/", portal_views.summaries, name="summaries"),
    path("summaries/table/", portal_views.summary_table, name="summary_table"),
    path("summaries/cdrs.csv", portal_views.summary_cdr_report, name="cdr_report"),
    path("cdrs/", portal_views.cdrs, name="cdrs"),
    path("cdrs/download.csv", portal_views.cdr_report, name="cdr_month_report"),
]

# The portal checks the signed-in contact itself (portal.access); staff permissions do not apply.
for pattern in urlpatterns:
    portal_view(pattern.callback)
