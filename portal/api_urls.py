from rest_framework.routers import SimpleRouter

from .api import ApprovedCliViewSet

router = SimpleRouter()
router.register("approved-clis", ApprovedCliViewSet, basename="approved-cli")

urlpatterns = router.urls
