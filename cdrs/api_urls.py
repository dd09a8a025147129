from rest_framework.routers import SimpleRouter

from .api import RecalcJobViewSet

router = SimpleRouter()
router.register("recalc-jobs", RecalcJobViewSet, basename="recalc-job")

urlpatterns = router.urls
