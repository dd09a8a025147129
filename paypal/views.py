from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

from connex.permissions import public_view
from connex.views import ObjectListView, OptionsFormView

from . import selectors, services
from .filtersets import PayPalIpnFilterSet
from .forms import PayPalOptionsForm
from .tables import PayPalIpnTable


class IpnListView(ObjectListView):
    permission_required = "paypal.view_paypalipn"
    table_class = PayPalIpnTable
    filterset_class = PayPalIpnFilterSet
    title = "PayPal IPNs"

    def get_queryset(self):
        return selectors.ipn_list(user=self.request.user)


class PayPalOptionsView(OptionsFormView):
    """Settings → PayPal."""

    permission_required = "paypal.change_paypaloptions"
    form_class = PayPalOptionsForm
    title = "PayPal"


@csrf_exempt
@public_view
def ipn(request):
    """PayPal's Instant Payment Notification: stored now, verified and applied after the commit.

    Answers 200 to anything it stored, so PayPal stops resending; what it does with the message
    depends only on PayPal's verification, never on who posted it.
    """
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.ipn_receive(body=request.body)
    except services.ValidationError as exc:
        return HttpResponseBadRequest(" ".join(exc.messages), content_type="text/plain")
    return HttpResponse("", content_type="text/plain")
