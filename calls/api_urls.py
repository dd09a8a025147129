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
    path("calls/authorize", lean_view(CallAuthorizeView, authorize_lean, authorize_prefetch), name="call_authorize"),
    path("calls/live", LiveCallsView.as_view(), name="call_live_list"),
    path("calls/<path:call_id>/answer", CallAnswerView.as_view(), name="call_answer"),
    path("calls/<path:call_id>/end", CallEndView.as_view(), name="call_end"),
] + router.urls
