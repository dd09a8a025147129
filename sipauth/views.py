from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.views import View

from connex.forms import add_validation_errors
from connex.permissions import PermissionRequiredMixin
from customers.selectors import customer_get_visible, visible_through_customer

from . import services
from .forms import IpAuthEntryForm, SipUserForm
from .models import IpAuthEntry, SipUser


def auth_tab_context(request, customer):
    return {"sip_users": SipUser.objects.filter(customer=customer),
            "ip_entries": IpAuthEntry.objects.filter(customer=customer)}


def _section(request, customer, template, *, notice="", password=""):
    context = {"customer": customer, "notice": notice, "password": password, **auth_tab_context(request, customer)}
    response = render(request, template, context)
    # A form posted in place answers with the whole refreshed section.
    response["HX-Retarget"] = "#" + template.rsplit("/", 1)[1].removesuffix(".html").replace("_", "-")
    response["HX-Reswap"] = "outerHTML"
    return response


class SipUserFormView(PermissionRequiredMixin, View):
    template = "sipauth/partials/sip_user_form.html"
    section = "sipauth/partials/sip_users.html"

    @classmethod
    def get_permission_required(cls, request, kwargs):
        return ("sipauth.change_sipuser",) if kwargs.get("pk") else ("sipauth.add_sipuser",)

    def objects(self, customer_pk, pk):
        if pk:
            sip_user = get_object_or_404(
                visible_through_customer(self.request.user, SipUser.objects.select_related("customer")), pk=pk)
            return sip_user.customer, sip_user
        customer = customer_get_visible(user=self.request.user, pk=customer_pk)
        return customer, SipUser(customer=customer)

    def render_form(self, request, form, customer):
        return render(request, self.template, {"form": form, "customer": customer, "sip_user": form.instance})

    def get(self, request, customer_pk=None, pk=None):
        customer, sip_user = self.objects(customer_pk, pk)
        suggested = services.extension_next_free(customer=customer)
        return self.render_form(request, SipUserForm(instance=sip_user, suggested_extension=suggested), customer)

    def post(self, request, customer_pk=None, pk=None):
        customer, sip_user = self.objects(customer_pk, pk)
        suggested = services.extension_next_free(customer=customer)
        form = SipUserForm(request.POST, instance=sip_user, suggested_extension=suggested)
        if form.is_valid():
            password = form.cleaned_data["password"]
            if not password and sip_user.pk is None:
                password = services.password_generate()
            try:
                sip_user = services.sip_user_save(sip_user=form.save(commit=False), password=password)
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                return _section(request, customer, self.section, notice=f"SIP user {sip_user} saved.",
                                password=password)
        return self.render_form(request, form, customer)


class SipUserDeleteView(PermissionRequiredMixin, View):
    permission_required = "sipauth.delete_sipuser"

    def post(self, request, pk):
        sip_user = get_object_or_404(
            visible_through_customer(request.user, SipUser.objects.select_related("customer")), pk=pk)
        services.sip_user_delete(sip_user=sip_user)
        return _section(request, sip_user.customer, SipUserFormView.section, notice=f"SIP user {sip_user} deleted.")


class IpEntryFormView(PermissionRequiredMixin, View):
    template = "sipauth/partials/ip_entry_form.html"
    section = "sipauth/partials/ip_entries.html"

    @classmethod
    def get_permission_required(cls, request, kwargs):
        return ("sipauth.change_ipauthentry",) if kwargs.get("pk") else ("sipauth.add_ipauthentry",)

    def objects(self, customer_pk, pk):
        if pk:
            entry = get_object_or_404(
                visible_through_customer(self.request.user, IpAuthEntry.objects.select_related("customer")), pk=pk)
            return entry.customer, entry
        customer = customer_get_visible(user=self.request.user, pk=customer_pk)
        return customer, IpAuthEntry(customer=customer)

    def render_form(self, request, form, customer):
        return render(request, self.template, {"form": form, "customer": customer, "entry": form.instance})

    def get(self, request, customer_pk=None, pk=None):
        customer, entry = self.objects(customer_pk, pk)
        return self.render_form(request, IpAuthEntryForm(instance=entry), customer)

    def post(self, request, customer_pk=None, pk=None):
        customer, entry = self.objects(customer_pk, pk)
        form = IpAuthEntryForm(request.POST, instance=entry)
        if form.is_valid():
            try:
                entry = services.ip_entry_save(entry=form.save(commit=False))
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                return _section(request, customer, self.section, notice=f"IP entry {entry} saved.")
        return self.render_form(request, form, customer)


class IpEntryDeleteView(PermissionRequiredMixin, View):
    permission_required = "sipauth.delete_ipauthentry"

    def post(self, request, pk):
        entry = get_object_or_404(
            visible_through_customer(request.user, IpAuthEntry.objects.select_related("customer")), pk=pk)
        services.ip_entry_delete(entry=entry)
        return _section(request, entry.customer, IpEntryFormView.section, notice=f"IP entry {entry} deleted.")
