"""Generic views: objects that belong to a customer and live in a section of the customer card
(CardSection…), and stand-alone object pages adding, editing and deleting one object (ObjectFormView,
ObjectDeleteView, at the end).

A card section is a list with an inline form and row actions, refreshed in place by htmx
(SIP users, IP entries, ...). Declare the section once, then one form view and one delete view:

    sip_users = CardSection(
        element_id="sip-users",                        # id of the section's root element
        template="sipauth/partials/sip_users.html",    # renders the whole section
        context=auth_tab_context)                      # callable(request, customer) -> dict

    class SipUserFormView(CardSectionFormView):
        model = SipUser
        form_class = SipUserForm
        form_template = "sipauth/partials/sip_user_form.html"
        section = sip_users

        def save(self, form):                          # call the service; return the notice
            sip_user = services.sip_user_save(sip_user=form.save(commit=False), password=...)
            return f"SIP user {sip_user} saved.", {}

    class SipUserDeleteView(CardSectionDeleteView):
        model = SipUser
        section = sip_users

        def delete(self, obj):
            services.sip_user_delete(sip_user=obj)
            return f"SIP user {obj} deleted."

URLs: the form view takes `customer_pk` (add) or `pk` (edit); the delete view takes `pk`.
Permissions follow the model (add_/change_/delete_<model>) unless `permission_required` is set;
objects and customers are looked up among those the staff member may see (404 otherwise).
A ValidationError raised by the service lands on the form, next to its field.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from connex.forms import add_validation_errors
from connex.permissions import PermissionRequiredMixin
from connex.registry import registry


@dataclass(frozen=True)
class CardSection:
    element_id: str
    template: str
    context: object  # callable(request, customer) -> dict


def model_permission(model, action):
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def section_response(request, section, customer, **extra):
    """The whole refreshed section, swapped in place of the element that asked for it."""
    context = {"customer": customer, **section.context(request, customer), **extra}
    response = render(request, section.template, context)
    response["HX-Retarget"] = f"#{section.element_id}"
    response["HX-Reswap"] = "outerHTML"
    return response


class CustomerObjectMixin(PermissionRequiredMixin):
    """Finds the object (by `pk`) or its customer (by `customer_pk`) among those the user may see."""

    model = None
    section: CardSection = None
    customer_field = "customer"

    def visible(self, queryset):
        scope = registry.customer_access["visible_through_customer"]
        return scope(self.request.user, queryset, field=self.customer_field)

    def get_object(self, pk):
        return get_object_or_404(self.visible(self.model.objects.select_related(self.customer_field)), pk=pk)

    def get_customer(self, customer_pk):
        return registry.customer_access["customer_get_visible"](user=self.request.user, pk=customer_pk)


class CardSectionFormView(CustomerObjectMixin, View):
    """Add (URL has `customer_pk`) or edit (URL has `pk`) one object in place on the card."""

    form_class = None
    form_template = ""
    object_name = "object"  # name of the instance in the form template

    @classmethod
    def get_permission_required(cls, request, kwargs):
        if cls.permission_required is not None:
            return super().get_permission_required(request, kwargs)
        return (model_permission(cls.model, "change" if kwargs.get("pk") else "add"),)

    def objects(self, customer_pk=None, pk=None):
        if pk:
            obj = self.get_object(pk)
            return getattr(obj, self.customer_field), obj
        customer = self.get_customer(customer_pk)
        return customer, self.model(**{self.customer_field: customer})

    def get_form_kwargs(self, customer, instance):
        return {"instance": instance}

    def render_form(self, form, customer):
        return render(self.request, self.form_template,
                      {"form": form, "customer": customer, self.object_name: form.instance})

    def save(self, form):
        """Save through the service; returns (notice, extra section context). May raise ValidationError."""
        raise NotImplementedError

    def get(self, request, customer_pk=None, pk=None):
        customer, instance = self.objects(customer_pk, pk)
        return self.render_form(self.form_class(**self.get_form_kwargs(customer, instance)), customer)

    def post(self, request, customer_pk=None, pk=None):
        customer, instance = self.objects(customer_pk, pk)
        form = self.form_class(request.POST, **self.get_form_kwargs(customer, instance))
        if form.is_valid():
            try:
                notice, extra = self.save(form)
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                return section_response(request, self.section, customer, notice=notice, **extra)
        return self.render_form(form, customer)


class CardSectionDeleteView(CustomerObjectMixin, View):
    """Delete one object from a card section (POST); answers with the refreshed section."""

    @classmethod
    def get_permission_required(cls, request, kwargs):
        if cls.permission_required is not None:
            return super().get_permission_required(request, kwargs)
        return (model_permission(cls.model, "delete"),)

    def delete(self, obj):
        """Delete through the service; returns the notice. May raise ValidationError."""
        raise NotImplementedError

    def post(self, request, pk):
        obj = self.get_object(pk)
        customer = getattr(obj, self.customer_field)
        try:
            notice = self.delete(obj)
        except ValidationError as exc:
            return section_response(request, self.section, customer, error=" ".join(exc.messages))
        return section_response(request, self.section, customer, notice=notice)


class ObjectFormView(PermissionRequiredMixin, View):
    """A page adding (no `pk` in the URL) or editing (`pk`) one object through a form and a service.

        class GatewayFormView(ObjectFormView):
            model = Gateway
            form_class = GatewayForm
            parent_model, parent_field = Provider, "provider"   # optional: added under a parent (`parent_pk`)

            def save(self, form):                              # call the service; may raise ValidationError
                return services.gateway_save(gateway=form.save(commit=False))

    Permissions follow the model (add_/change_<model>) unless `permission_required` is set. Bad
    input, from the form or the service, is shown beside its field with status 422; nothing is saved.
    After saving, the page goes to the object's (or, for an object under a parent, the parent's) page.
    """

    model = None
    form_class = None
    template_name = "connex/object_form.html"
    parent_model = None
    parent_field = ""

    @classmethod
    def get_permission_required(cls, request, kwargs):
        if cls.permission_required is not None:
            return super().get_permission_required(request, kwargs)
        return (model_permission(cls.model, "change" if kwargs.get("pk") else "add"),)

    def get_queryset(self):
        return self.model.objects.all()

    def objects(self, pk=None, parent_pk=None):
        if pk:
            return get_object_or_404(self.get_queryset(), pk=pk)
        instance = self.model()
        if self.parent_model is not None:
            setattr(instance, self.parent_field, get_object_or_404(self.parent_model, pk=parent_pk))
        return instance

    def parent_of(self, instance):
        return getattr(instance, self.parent_field) if self.parent_model is not None else None

    def get_form_kwargs(self, instance):
        return {"instance": instance}

    def save(self, form):
        """Save through the service and return the object. May raise ValidationError."""
        raise NotImplementedError

    def success_url(self, obj):
        parent = self.parent_of(obj)
        return (parent or obj).get_absolute_url()

    def cancel_url(self, instance):
        parent = self.parent_of(instance)
        if instance.pk:
            return (parent or instance).get_absolute_url()
        return parent.get_absolute_url() if parent is not None else ""

    def render_form(self, form, instance, status=200):
        verbose = self.model._meta.verbose_name
        title = f"Edit {verbose} {instance}" if instance.pk else f"New {verbose}"
        if not instance.pk and (parent := self.parent_of(instance)) is not None:
            title += f" for {parent}"
        context = {"form": form, "object": instance, "parent": self.parent_of(instance), "title": title,
                   "cancel_url": self.cancel_url(instance), "verbose_name": verbose}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk=None, parent_pk=None):
        instance = self.objects(pk, parent_pk)
        return self.render_form(self.form_class(**self.get_form_kwargs(instance)), instance)

    def post(self, request, pk=None, parent_pk=None):
        instance = self.objects(pk, parent_pk)
        form = self.form_class(request.POST, **self.get_form_kwargs(instance))
        if form.is_valid():
            try:
                obj = self.save(form)
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                messages.success(request, f"{self.model._meta.verbose_name.capitalize()} {obj} saved.")
                return redirect(self.success_url(obj))
        return self.render_form(form, instance, status=422)


class ObjectDeleteView(PermissionRequiredMixin, View):
    """Asks (GET) and deletes (POST) one object through a service, then goes to `success_url(obj)`.

    Permission: the model's delete_<model> unless `permission_required` is set. A ValidationError
    from the service (something still depends on the object) is shown on the page; nothing is deleted.
    """

    model = None
    template_name = "connex/object_delete.html"
    parent_field = ""

    @classmethod
    def get_permission_required(cls, request, kwargs):
        if cls.permission_required is not None:
            return super().get_permission_required(request, kwargs)
        return (model_permission(cls.model, "delete"),)

    def get_queryset(self):
        return self.model.objects.all()

    def delete(self, obj):
        """Delete through the service. May raise ValidationError."""
        raise NotImplementedError

    def success_url(self, obj):
        raise NotImplementedError

    def render_page(self, obj, error="", status=200):
        parent = getattr(obj, self.parent_field) if self.parent_field else None
        return render(self.request, self.template_name, {
            "object": obj, "error": error, "verbose_name": self.model._meta.verbose_name,
            "cancel_url": (parent or obj).get_absolute_url()}, status=status)

    def get(self, request, pk):
        return self.render_page(get_object_or_404(self.get_queryset(), pk=pk))

    def post(self, request, pk):
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        url, name = self.success_url(obj), str(obj)
        try:
            self.delete(obj)
        except ValidationError as exc:
            return self.render_page(obj, error=" ".join(exc.messages), status=422)
        messages.success(request, f"{self.model._meta.verbose_name.capitalize()} {name} deleted.")
        return redirect(url)
