from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("sip-users", api.SipUserViewSet, basename="sip-user")
router.register("ip-entries", api.IpEntryViewSet, basename="ip-entry")

urlpatterns = [
    path("auth/sip-users/<str:username>/", api.SipUserLookupView.as_view(), name="api_sip_user_lookup"),
    path("auth/ip-entries/", api.IpEntryLookupView.as_view(), name="api_ip_entry_lookup"),
    *router.urls,
]
