"""The panel's URLs plus one bare endpoint for benchmarks/switch_api.py: the same middleware, token
authentication, permission check and lean path (connex.api.lean_view) as `authorize`, answering a
constant."""

from django.urls import include, path
from rest_framework.response import Response

from connex.api import SCOPE_SWITCH, ServiceAPIView, lean_view


class BareView(ServiceAPIView):
    token_scope = SCOPE_SWITCH
    permission_required = {"POST": ("calls.switch_call",)}

    def post(self, request):
        return Response(bare_answer(request.data))


def bare_answer(data):
    return {"allowed": False, "sip_code": 503, "reason": "bare", "reasons": ["bare"]}


# Under /api/v1/ like authorize, so both take the same (machine API) middleware stack.
urlpatterns = [path("api/v1/bench/bare", lean_view(BareView, bare_answer)), path("", include("connex.urls"))]
