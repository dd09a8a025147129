from rest_framework.routers import SimpleRouter

from .api import IngressRouteViewSet

router = SimpleRouter()
router.register("ingress-routes", IngressRouteViewSet, basename="ingress-route")

urlpatterns = router.urls
