from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("portal-domains", api.PortalDomainViewSet, basename="portal-domain")

urlpatterns = router.urls
