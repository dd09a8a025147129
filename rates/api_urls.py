from rest_framework.routers import SimpleRouter

from .api import RateCardViewSet

router = SimpleRouter()
router.register("rate-cards", RateCardViewSet, basename="rate-card")

urlpatterns = router.urls
