from rest_framework.routers import SimpleRouter

from .api import CliRuleViewSet

router = SimpleRouter()
router.register("cli-rules", CliRuleViewSet, basename="cli_rule")

urlpatterns = router.urls
