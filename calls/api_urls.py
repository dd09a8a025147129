from django.urls import path

from .api import CallSimulateView

urlpatterns = [path("calls/simulate", CallSimulateView.as_view(), name="call_simulate")]
