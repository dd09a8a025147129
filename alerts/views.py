from django.core.exceptions import ValidationError
from django.views import View

from connex.generic import (
    CardSection,
    CardSectionDeleteView,
    CardSectionFormView,
    CustomerObjectMixin,
    section_response,
)
from connex.views import OptionsFormView

from . import selectors, services
from .forms import AlertForm, AlertOptionsForm
from .models import Alert


def alerts_tab_context(request, customer):
    alerts = list(selectors.alert_list(customer=customer))
    values = services.alert_current_values(customer=customer) if alerts else {}
    for alert in alerts:
        alert.current_value = values.get(alert.pk)
    return {"alerts": alerts, "alert_events": selectors.alert_event_list(customer=customer)}


ALERTS = CardSection("alerts", "alerts/partials/alerts.html", alerts_tab_context)


class AlertFormView(CardSectionFormView):
    model = Alert
    form_class = AlertForm
    form_template = "alerts/partials/alert_form.html"
    object_name = "alert"
    section = ALERTS

    def save(self, form):
        alert = services.alert_save(alert=form.save(commit=False))
        return f"Alert {alert} saved.", {}


class AlertDeleteView(CardSectionDeleteView):
    model = Alert
    section = ALERTS

    def delete(self, alert):
        services.alert_delete(alert=alert)
        return f"Alert {alert} deleted."


class AlertSendTestView(CustomerObjectMixin, View):
    """Send the alert's message now, with its current value; the alert's state is untouched."""

    model = Alert
    section = ALERTS
    permission_required = ("alerts.change_alert",)

    def post(self, request, pk):
        alert = self.get_object(pk)
        try:
            event = services.alert_send_test(alert=alert)
        except ValidationError as exc:
            return section_response(request, self.section, alert.customer, error=" ".join(exc.messages))
        return section_response(request, self.section, alert.customer,
                                notice=f"Test of {alert} sent: {event.messages} message(s) queued in the outbox.")


class AlertOptionsView(OptionsFormView):
    """Settings → Alerts."""

    permission_required = "alerts.change_alertoptions"
    form_class = AlertOptionsForm
    title = "Alerts"
