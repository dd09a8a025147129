from django.urls import path

from .api import CdrImportAPIView

urlpatterns = [
    path("cdrs", CdrImportAPIView.as_view(), name="api_cdr_import"),
]
