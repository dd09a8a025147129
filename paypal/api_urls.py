from rest_framework.routers import SimpleRouter

from .api import PayPalIpnViewSet

router = SimpleRouter()
router.register("paypal-ipns", PayPalIpnViewSet, basename="paypal-ipn")

urlpatterns = router.urls
