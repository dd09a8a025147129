from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import CdrImportAPIView, CdrImportViewSet

router = SimpleRouter()
router.register("cdr-imports", CdrImportViewSet, basename="cdr-import")

urlpatterns = [
    path("cdrs", CdrImportAPIView.as_view(), name="api_cdr_import"),
    *router.urls,
]
