from django.contrib import messages
from django.urls import reverse

from connex.generic import CardSection, CardSectionFormView, ObjectEditView
from connex.views import ObjectListView
from customers.selectors import visible_through_customer

from . import selectors, services
from .filtersets import ContactFilterSet
from .forms import ContactForm, ContactPasswordForm
from .models import Contact
from .tables import ContactSectionTable, ContactTable


class ContactListView(ObjectListView):
    permission_required = "contacts.view_contact"
    queryset = Contact.objects.select_related("customer")
    table_class = ContactTable
    filterset_class = ContactFilterSet
    template_name = "contacts/contact_list.html"
    title = "Contacts"
    search_placeholder = "Name, email, phone"

    def get_queryset(self):
        return visible_through_customer(self.request.user, super().get_queryset())


def section_context(request, customer):
    contacts = selectors.contact_list_for_customer(customer=customer)
    return {"contacts": contacts, "contact_table": ContactSectionTable(contacts, request=request)}


CONTACTS = CardSection("section-contacts", "contacts/partials/contacts_section.html", section_context)


def portal_url(request):
    return request.build_absolute_uri(reverse("portal:login"))


def _contact_save(request, form):
    """Save through the service; returns (contact, notice, warnings)."""
    adding = form.instance.pk is None
    warnings = services.contact_save(
        contact=form.save(commit=False), password=form.password_choice,
        auto_password=adding and form.cleaned_data.get("auto_password", False), portal_url=portal_url(request))
    contact = form.instance
    notice = f"Contact “{contact.name}” {'added' if adding else 'saved'}."
    if adding and form.cleaned_data.get("auto_password"):
        notice += f" A generated password is being emailed to {contact.email}."
    return contact, notice, warnings


def _password_set(request, form):
    contact = form.contact
    generated = services.contact_password_set(contact=contact, password=form.password_choice,
                                              portal_url=portal_url(request))
    return (f"A new generated password is being emailed to {contact.email}." if generated
            else f"Password of {contact.name} changed.")


class ContactEditView(ObjectEditView):
    """A contact on a page of its own, from the Contacts list (the customer is chosen on the form)."""

    model = Contact
    form_class = ContactForm
    template_name = "contacts/contact_form.html"
    object_name = "contact"
    success_url = "contacts:contact_list"

    def get_queryset(self):
        return visible_through_customer(self.request.user, Contact.objects.select_related("customer"))

    def save(self, form):
        contact, self.notice, warnings = _contact_save(self.request, form)
        for warning in warnings:
            messages.warning(self.request, warning)
        return contact

    def saved_message(self, obj, created, stay):
        return self.notice


class ContactPasswordView(ContactEditView):
    """Change password: generate and email a new one, or set a typed one."""

    form_class = ContactPasswordForm
    template_name = "contacts/contact_password.html"

    def get_form_kwargs(self, instance):
        return {"contact": instance}

    def save(self, form):
        self.notice = _password_set(self.request, form)
        return form.contact


class ContactSectionFormView(CardSectionFormView):
    """Add and edit a contact in place on the card; Save & Stay keeps a form open."""

    model = Contact
    form_class = ContactForm
    form_template = "contacts/partials/contact_form.html"
    object_name = "contact"
    section = CONTACTS

    def save(self, form):
        _contact, notice, warnings = _contact_save(self.request, form)
        return notice, {"warnings": warnings}


class ContactSectionPasswordView(CardSectionFormView):
    model = Contact
    form_class = ContactPasswordForm
    form_template = "contacts/partials/password_form.html"
    object_name = "contact"
    section = CONTACTS

    def get_form_kwargs(self, customer, instance):
        return {"contact": instance}

    def save(self, form):
        return _password_set(self.request, form), {}
