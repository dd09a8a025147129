from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from connex.forms import add_validation_errors
from connex.permissions import PermissionRequiredMixin
from connex.views import ObjectListView
from customers.selectors import customer_get_visible, visible_through_customer

from . import selectors, services
from .filtersets import ContactFilterSet
from .forms import ContactForm, ContactPasswordForm
from .models import Contact
from .tables import ContactTable


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
    return {"contacts": selectors.contact_list_for_customer(customer=customer),
            "can_portal_login": request.user.has_perm("customers.portal_login")}


def render_section(request, customer, **extra):
    """The card's Contacts section, optionally with a form open in it, notices and warnings."""
    context = {"customer": customer, **section_context(request, customer), **extra}
    return render(request, "contacts/partials/contacts_section.html", context)


def portal_url(request):
    return request.build_absolute_uri(reverse("portal:login"))


def contact_get_visible(request, pk):
    queryset = visible_through_customer(request.user, Contact.objects.select_related("customer"))
    return get_object_or_404(queryset, pk=pk)


class ContactFormView(PermissionRequiredMixin, View):
    """Add and edit a contact: in place on the card (htmx) or as a page from the Contacts list.

    Save & Continue closes the form; Save & Stay keeps it open (a fresh one after adding),
    which suits entering several contacts in a row.
    """

    @classmethod
    def get_permission_required(cls, request, kwargs):
        return ("contacts.change_contact",) if kwargs.get("pk") else ("contacts.add_contact",)

    def get_contact(self, pk, customer_pk):
        if pk:
            return contact_get_visible(self.request, pk)
        contact = Contact()
        if customer_pk:
            contact.customer = customer_get_visible(user=self.request.user, pk=customer_pk)
        return contact

    def form_context(self, request, form, contact):
        inline = bool(request.htmx) and bool(contact.customer_id)
        if contact.pk:
            action = reverse("contacts:contact_edit", args=[contact.pk])
        elif contact.customer_id and inline:
            action = reverse("contacts:contact_add", args=[contact.customer_id])
        else:
            action = reverse("contacts:contact_add_global")
        return {"form": form, "contact": contact, "action_url": action, "inline": inline,
                "form_template": "contacts/partials/contact_form.html",
                "form_title": f"Edit {contact.name}" if contact.pk else "New contact"}

    def get(self, request, pk=None, customer_pk=None):
        contact = self.get_contact(pk, customer_pk)
        form = ContactForm(instance=contact)
        context = self.form_context(request, form, contact)
        if context["inline"]:
            return render(request, "contacts/partials/contact_form.html", context)
        return render(request, "contacts/contact_form.html", context)

    def post(self, request, pk=None, customer_pk=None):
        contact = self.get_contact(pk, customer_pk)
        adding = contact.pk is None
        form = ContactForm(request.POST, instance=contact)
        context = self.form_context(request, form, contact)
        if form.is_valid():
            try:
                warnings = services.contact_save(
                    contact=form.save(commit=False), password=form.password_choice,
                    auto_password=adding and form.cleaned_data.get("auto_password", False),
                    portal_url=portal_url(request))
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                return self.saved(request, form.instance, adding, warnings, context)
        if context["inline"]:
            return render_section(request, contact.customer, **context)
        return render(request, "contacts/contact_form.html", context, status=422)

    def saved(self, request, contact, adding, warnings, context):
        stay = request.POST.get("action") == "stay"
        notice = f"Contact “{contact.name}” {'added' if adding else 'saved'}."
        if adding and context["form"].cleaned_data.get("auto_password"):
            notice += f" A generated password is being emailed to {contact.email}."
        if context["inline"]:
            extra = {}
            if stay:
                fresh = Contact(customer=contact.customer) if adding else contact
                extra = self.form_context(request, ContactForm(instance=fresh), fresh)
            return render_section(request, contact.customer, notice=notice, warnings=warnings, **extra)
        messages.success(request, notice)
        for warning in warnings:
            messages.warning(request, warning)
        if stay:
            return redirect("contacts:contact_edit", pk=contact.pk)
        return redirect("contacts:contact_list")


class ContactPasswordView(PermissionRequiredMixin, View):
    """Change password: generate and email a new one, or set a typed one."""

    permission_required = "contacts.change_contact"

    def context(self, request, contact, form):
        return {"form": form, "contact": contact, "inline": bool(request.htmx),
                "action_url": reverse("contacts:contact_password", args=[contact.pk]),
                "form_template": "contacts/partials/password_form.html",
                "form_title": f"Change password of {contact.name}"}

    def get(self, request, pk):
        contact = contact_get_visible(request, pk)
        context = self.context(request, contact, ContactPasswordForm(contact=contact))
        template = "contacts/partials/password_form.html" if request.htmx else "contacts/contact_password.html"
        return render(request, template, context)

    def post(self, request, pk):
        contact = contact_get_visible(request, pk)
        form = ContactPasswordForm(request.POST, contact=contact)
        context = self.context(request, contact, form)
        if form.is_valid():
            generated = services.contact_password_set(contact=contact, password=form.password_choice,
                                                      portal_url=portal_url(request))
            notice = (f"A new generated password is being emailed to {contact.email}." if generated
                      else f"Password of {contact.name} changed.")
            if request.htmx:
                return render_section(request, contact.customer, notice=notice)
            messages.success(request, notice)
            return redirect("contacts:contact_list")
        if request.htmx:
            return render_section(request, contact.customer, **context)
        return render(request, "contacts/contact_password.html", context, status=422)


class ContactSectionView(PermissionRequiredMixin, View):
    permission_required = "contacts.view_contact"

    def get(self, request, customer_pk):
        return render_section(request, customer_get_visible(user=request.user, pk=customer_pk))
