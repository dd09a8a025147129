from connex.generic import CardSection, CardSectionDeleteView, CardSectionFormView
from connex.passwords import password_generate

from . import services
from .forms import IpAuthEntryForm, SipUserForm
from .models import IpAuthEntry, SipUser
from .tables import IpEntryTable, SipUserTable


def auth_tab_context(request, customer):
    return {"sip_user_table": SipUserTable(SipUser.objects.filter(customer=customer)),
            "ip_entry_table": IpEntryTable(IpAuthEntry.objects.filter(customer=customer))}


SIP_USERS = CardSection("sip-users", "sipauth/partials/sip_users.html", auth_tab_context, tab="auth")
IP_ENTRIES = CardSection("ip-entries", "sipauth/partials/ip_entries.html", auth_tab_context, tab="auth")


class SipUserFormView(CardSectionFormView):
    model = SipUser
    form_class = SipUserForm
    form_template = "sipauth/partials/sip_user_form.html"
    object_name = "sip_user"
    section = SIP_USERS

    def get_form_kwargs(self, customer, instance):
        return {"instance": instance, "suggested_extension": services.extension_next_free(customer=customer)}

    def save(self, form):
        password = form.cleaned_data["password"]
        if not password and form.instance.pk is None:
            password = password_generate()
        sip_user = services.sip_user_save(sip_user=form.save(commit=False), password=password)
        # A new password is shown once, in the notice; only its digest is stored.
        return f"SIP user {sip_user} saved.", {"password": password}


class SipUserDeleteView(CardSectionDeleteView):
    model = SipUser
    section = SIP_USERS

    def delete(self, sip_user):
        services.sip_user_delete(sip_user=sip_user)
        return f"SIP user {sip_user} deleted."


class IpEntryFormView(CardSectionFormView):
    model = IpAuthEntry
    form_class = IpAuthEntryForm
    form_template = "sipauth/partials/ip_entry_form.html"
    object_name = "entry"
    section = IP_ENTRIES

    def save(self, form):
        entry = services.ip_entry_save(entry=form.save(commit=False))
        return f"IP entry {entry} saved.", {}


class IpEntryDeleteView(CardSectionDeleteView):
    model = IpAuthEntry
    section = IP_ENTRIES

    def delete(self, entry):
        services.ip_entry_delete(entry=entry)
        return f"IP entry {entry} deleted."
