from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("packages", api.PackageViewSet, basename="package")
router.register("package-subscriptions", api.PackageSubscriptionViewSet, basename="package-subscription")

urlpatterns = router.urls
