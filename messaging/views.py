from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView

from connex.permissions import PermissionRequiredMixin
from connex.views import ObjectListView, OptionsFormView
from customers.selectors import customer_selection, visible_through_customer

from . import merge, services
from .filtersets import BroadcastFilterSet, MessageFilterSet
from .forms import BroadcastForm, EmailSettingsForm, SmsSettingsForm
from .merge import MERGE_FIELDS
from .models import Broadcast, Message
from .selectors import message_list
from .tables import BroadcastTable, CustomerMessageTable, MessageTable
from .transports import sms_configured

SELECTION_KEYS = ("pk", "select_all_matching", "filter_query")


def customer_messages_context(request, customer):
    """The card's Messages tab: the latest 50 messages to the customer."""
    messages = message_list(customer=customer).order_by("-created")
    return {"message_table": CustomerMessageTable(messages[:50]), "customer_message_count": messages.count()}


class MessageListView(ObjectListView):
    permission_required = "messaging.view_message"
    queryset = Message.objects.select_related("customer", "contact", "broadcast")
    table_class = MessageTable
    filterset_class = MessageFilterSet
    template_name = "messaging/message_list.html"
    title = "Messages"
    search_placeholder = "Recipient, subject, customer, contact"

    def get_queryset(self):
        return visible_through_customer(self.request.user, super().get_queryset(), optional=True)

    def get_context_data(self, **kwargs):
        return super().get_context_data(sms_configured=sms_configured(), **kwargs)


class MessageDetailView(PermissionRequiredMixin, DetailView):
    permission_required = "messaging.view_message"
    template_name = "messaging/message_detail.html"
    context_object_name = "message"

    def get_queryset(self):
        return visible_through_customer(
            self.request.user, Message.objects.select_related("customer", "contact", "broadcast"), optional=True)


class MessageResendView(PermissionRequiredMixin, View):
    permission_required = "messaging.change_message"

    def post(self, request, pk):
        message = get_object_or_404(visible_through_customer(request.user, Message.objects.all(), optional=True),
                                    pk=pk)
        try:
            services.message_resend(message=message)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, f"Message to {message.to} queued again.")
        return redirect(message)


class BroadcastListView(ObjectListView):
    permission_required = "messaging.view_broadcast"
    queryset = Broadcast.objects.select_related("created_by")
    table_class = BroadcastTable
    filterset_class = BroadcastFilterSet
    template_name = "messaging/broadcast_list.html"
    title = "Broadcasts"
    search_placeholder = "Subject or text"


class BroadcastDetailView(PermissionRequiredMixin, DetailView):
    permission_required = "messaging.view_broadcast"
    model = Broadcast
    context_object_name = "broadcast"

    def get_template_names(self):
        if self.request.htmx and self.request.htmx.target == "broadcast-progress":
            return ["messaging/partials/broadcast_progress.html"]
        return ["messaging/broadcast_detail.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["progress"] = services.broadcast_progress(broadcast=self.object)
        context["failures"] = self.object.messages.filter(
            state__in=[Message.State.FAILED, Message.State.NOT_SENT]).select_related("customer")[:50]
        return context


class BroadcastComposeView(PermissionRequiredMixin, View):
    """Compose a broadcast for the customers selected on the board; preview, count, send.

    The board's selection (ticked ids or "all matching" with its filter) travels in hidden
    fields, so the recipients are worked out again, not trusted from the page, when sending.
    """

    template_name = "messaging/broadcast_compose.html"
    permission_required = ("messaging.send_broadcast", "messaging.add_broadcast")

    def selection_fields(self, data):
        selection = QueryDict(mutable=True)
        for key in SELECTION_KEYS:
            selection.setlist(key, data.getlist(key))
        return selection

    def post(self, request):
        selection = self.selection_fields(request.POST)
        customers = list(customer_selection(data=selection, user=request.user).order_by("name"))
        if not customers:
            messages.warning(request, "Select at least one customer to send to.")
            return redirect("customers:customer_list")
        channel = request.POST.get("channel") if request.POST.get("channel") in Message.Channel.values else "email"
        step = request.POST.get("step", "")
        form = BroadcastForm(request.POST if step else None, initial={"channel": channel})
        recipients = services.broadcast_recipients(channel=channel, customers=customers)
        context = {"form": form, "channel": channel, "customers": customers, "recipients": recipients,
                   "invalid": [r for r in recipients if r.error], "selection": selection,
                   "merge_fields": MERGE_FIELDS, "sms_configured": sms_configured(),
                   "cancel_url": reverse("customers:customer_list")}
        if step and form.is_valid():
            subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
            if step == "send":
                try:
                    broadcast = services.broadcast_create(channel=channel, subject=subject, body=body,
                                                          customers=customers, created_by=request.user)
                except ValidationError as exc:
                    self.add_errors(form, exc)
                else:
                    messages.success(request, f"Sending to {broadcast.recipient_count} recipient"
                                              f"{'s' if broadcast.recipient_count != 1 else ''}.")
                    return redirect(broadcast)
            else:
                context["preview"] = self.preview(form, channel, subject, body, recipients)
        if step == "preview" and request.htmx:
            return render(request, "messaging/partials/broadcast_preview.html", context)
        return render(request, self.template_name, context, status=422 if form.errors else 200)

    def preview(self, form, channel, subject, body, recipients):
        if not recipients:
            return None
        try:
            # Only the merge fields are checked here: an empty subject is fine while composing.
            merge.check(subject, field="subject")
            merge.check(body, field="body")
            subject, body = services.broadcast_render(subject=subject, body=body, recipient=recipients[0])
        except ValidationError as exc:
            self.add_errors(form, exc)
            return None
        return {"recipient": recipients[0], "subject": subject, "body": body}

    @staticmethod
    def add_errors(form, exc):
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            form.add_error(None, exc.messages[0])


class MessagingOptionsView(OptionsFormView):
    permission_required = "messaging.edit_messaging_settings"
    template_name = "messaging/settings_form.html"

    def get_context_data(self, form):
        return super().get_context_data(form) | {"sms_configured": sms_configured()}


class EmailSettingsView(MessagingOptionsView):
    form_class = EmailSettingsForm
    title = "Email"


class SmsSettingsView(MessagingOptionsView):
    form_class = SmsSettingsForm
    title = "SMS"
