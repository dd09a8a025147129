from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("dids", api.DidViewSet, basename="did")

urlpatterns = router.urls
