from django.urls import path

from . import api

urlpatterns = [
    path("auth/sip-users/<str:username>/", api.SipUserLookupView.as_view(), name="api_sip_user_lookup"),
    path("auth/ip-entries/", api.IpEntryLookupView.as_view(), name="api_ip_entry_lookup"),
]
