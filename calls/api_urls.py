from django.urls import path
from rest_framework.routers import SimpleRouter

from connex.api import lean_view

from .api import (
    CallAnswerView,
    CallAuthorizeView,
    CallEndView,
    CallSimulateView,
    LiveCallsView,
    SwitchViewSet,
    authorize_lean,
    authorize_prefetch,
)

router = SimpleRouter()
router.register("switches", SwitchViewSet, basename="switch")

urlpatterns = [
    path("calls/simulate", CallSimulateView.as_view(), name="call_simulate"),
    path("calls/live", LiveCallsView.as_view(), name="call_live_list"),
] + router.urls

# The switch's calls, a few per call placed: connex/urls.py puts them ahead of every other pattern,
# so they are matched at the first level rather than through /api/v1/ and this app's include (which
# took authorize 13 µs to resolve instead of 8).
switch_urlpatterns = [
    path("api/v1/calls/authorize", lean_view(CallAuthorizeView, authorize_lean, authorize_prefetch),
         name="call_authorize"),
    path("api/v1/calls/<path:call_id>/answer", CallAnswerView.as_view(), name="call_answer"),
    path("api/v1/calls/<path:call_id>/end", CallEndView.as_view(), name="call_end"),
]
