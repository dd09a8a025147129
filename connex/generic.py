"""Generic views for objects that belong to a customer and live in a section of the customer card.

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

Page-level views follow the same idea, each declaring a permission, a form and a service call:

    class CustomerEditView(ObjectEditView):          # add (no `pk`) and edit (`pk`) on one page
        model = Customer
        form_class = CustomerForm
        template_name = "customers/customer_form.html"

        def save(self, form):                          # call the service; return the object
            return services.customer_save(customer=form.save(commit=False))

    class CustomerDeleteView(ObjectDeleteView):       # a confirmation page, then the service
        model = Customer
        success_url = "customers:customer_list"

        def delete(self, customer):
            services.customer_delete(customer_ids=[customer.pk])

    class CustomerBulkEditView(BulkEditView):         # the ticked rows (or all matching) of a list
        model = Customer
        form_class = CustomerBulkEditForm
        list_url = "customers:customer_list"

        def selection(self): ...                       # -> QuerySet, among those the user may see
        def apply(self, form, ids): ...                # the service; returns how many changed

    class CustomerBulkDeleteView(BulkDeleteView):     # confirmation listing each row, then the service
        ...                                            # selection(), delete(ids), refusals(ids)
"""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views import View

from connex.forms import add_validation_errors
from connex.permissions import PermissionRequiredMixin
from connex.registry import registry


@dataclass(frozen=True)
class CardSection:
    element_id: str
    template: str
    context: object  # callable(request, customer) -> dict
    tab: str = ""  # the card tab holding the section: where a form posted without htmx returns to


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
    """Add (URL has `customer_pk`) or edit (URL has `pk`) one object in place on the card.

    Save & Stay (`action=stay`) answers with the section and the form open again: a fresh one
    after adding, the saved object's after editing. The section shows it as `open_form`.
    """

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

    def get_form(self, customer, instance, data=None):
        return self.form_class(data, **self.get_form_kwargs(customer, instance))

    def render_form(self, form, customer, instance, status=200):
        return render(self.request, self.form_template,
                      {"form": form, "customer": customer, self.object_name: instance}, status=status)

    def save(self, form):
        """Save through the service; returns (notice, extra section context). May raise ValidationError."""
        raise NotImplementedError

    def get(self, request, customer_pk=None, pk=None):
        customer, instance = self.objects(customer_pk, pk)
        return self.render_form(self.get_form(customer, instance), customer, instance)

    def post(self, request, customer_pk=None, pk=None):
        customer, instance = self.objects(customer_pk, pk)
        form = self.get_form(customer, instance, request.POST)
        if form.is_valid():
            try:
                notice, extra = self.save(form)
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                if not request.htmx:  # posted as a plain form: back to the card, notice as a message
                    messages.success(request, notice)
                    tab = f"?tab={self.section.tab}" if self.section.tab else ""
                    return redirect(customer.get_absolute_url() + tab)
                if request.POST.get("action") == "stay":
                    again = instance if pk else self.objects(customer_pk=customer.pk)[1]
                    extra["open_form"] = mark_safe(  # noqa: S308 - our own rendered template
                        self.render_form(self.get_form(customer, again), customer, again).content.decode())
                return section_response(request, self.section, customer, notice=notice, **extra)
        return self.render_form(form, customer, instance, status=422)


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


class CardSectionActionView(CustomerObjectMixin, View):
    """A POST acting on a card section as a whole (assign the next block, ...): `customer_pk` in the URL.

    `act(customer)` calls the service and returns the notice; a ValidationError is shown in the section.
    """

    def act(self, customer):
        raise NotImplementedError

    def post(self, request, customer_pk):
        customer = self.get_customer(customer_pk)
        try:
            notice = self.act(customer)
        except ValidationError as exc:
            return section_response(request, self.section, customer, error=" ".join(exc.messages))
        return section_response(request, self.section, customer, notice=notice)


# Page-level views -----------------------------------------------------------------------------

def _url(target, obj=None):
    """A URL name (reversed, with the object's pk when it takes one) or a path."""
    if target.startswith("/"):
        return target
    try:
        return reverse(target)
    except NoReverseMatch:  # the name takes the object's pk
        return reverse(target, args=[obj.pk])


class ObjectEditView(PermissionRequiredMixin, View):
    """Add (no `pk` in the URL) or edit (`pk`) one object on a page of its own.

    Save & Continue goes to `success_url` (a URL name, or the object's own page); Save & Stay
    stays: the saved object's form after editing, a fresh form after adding (the message links
    the one just saved). Other buttons post `action=<name>` and are handled by `action_<name>(form)`.
    """

    model = None
    form_class = None
    template_name = "connex/object_form.html"
    object_name = "object"  # name of the instance in the template
    success_url = None
    # An object added under a parent (a gateway under its provider): `parent_pk` in the add URL,
    # and the parent's page is where Cancel and Save lead.
    parent_model = None
    parent_field = ""
    # The object's delete confirmation page (a URL name taking its pk): linked from its edit page
    # for staff who may delete it.
    delete_url_name = ""

    @classmethod
    def get_permission_required(cls, request, kwargs):
        if cls.permission_required is not None:
            return super().get_permission_required(request, kwargs)
        return (model_permission(cls.model, "change" if kwargs.get("pk") else "add"),)

    def get_queryset(self):
        return self.model.objects.all()

    def get_object(self, pk, parent_pk=None):
        if pk:
            return get_object_or_404(self.get_queryset(), pk=pk)
        instance = self.model()
        if self.parent_model is not None:
            setattr(instance, self.parent_field, get_object_or_404(self.parent_model, pk=parent_pk))
        return instance

    def parent_of(self, instance):
        return getattr(instance, self.parent_field) if self.parent_model is not None else None

    def cancel_url(self, instance):
        parent = self.parent_of(instance)
        # An object without a page of its own (a switch, a portal domain) cancels to its list.
        if instance.pk and (parent is not None or hasattr(instance, "get_absolute_url")):
            return (parent or instance).get_absolute_url()
        if parent is not None:
            return parent.get_absolute_url()
        return _url(self.success_url) if self.success_url else ""

    def get_form_kwargs(self, instance):
        return {"instance": instance}

    def get_form(self, instance, data=None, files=None):
        self.object = instance
        return self.form_class(data, files, **self.get_form_kwargs(instance))

    def delete_url(self, instance):
        if not (self.delete_url_name and instance.pk
                and self.request.user.has_perm(model_permission(self.model, "delete"))):
            return ""
        return reverse(self.delete_url_name, args=[instance.pk])

    def get_context_data(self, form, **extra):
        instance, verbose = self.object, self.model._meta.verbose_name
        parent = self.parent_of(instance)
        title = f"Edit {verbose} {instance}" if instance.pk else f"New {verbose}{f' for {parent}' if parent else ''}"
        return {"form": form, "object": instance, self.object_name: instance, "parent": parent, "title": title,
                "verbose_name": verbose, "cancel_url": self.cancel_url(instance),
                "delete_url": self.delete_url(instance), **extra}

    def render_form(self, form, status=200, **extra):
        return render(self.request, self.template_name, self.get_context_data(form, **extra), status=status)

    def save(self, form):
        """Save through the service; returns the object. May raise ValidationError."""
        raise NotImplementedError

    def get_success_url(self, obj):
        return _url(self.success_url, obj) if self.success_url else (self.parent_of(obj) or obj).get_absolute_url()

    def saved_message(self, obj, created, stay):
        name = obj._meta.verbose_name.capitalize()
        if created and stay:
            return format_html('{} <a href="{}">{}</a> created. Enter the next one.', name,
                               self.get_success_url(obj), obj)
        return f"{name} “{obj}” {'created' if created else 'saved'}."

    def get(self, request, pk=None, parent_pk=None):
        return self.render_form(self.get_form(self.get_object(pk, parent_pk)))

    def post(self, request, pk=None, parent_pk=None):
        instance = self.get_object(pk, parent_pk)
        form = self.get_form(instance, request.POST, request.FILES)
        action = request.POST.get("action") or "continue"
        if action not in ("continue", "stay"):
            handler = getattr(self, f"action_{action}", None)
            if handler is None:
                form.add_error(None, "Unknown action.")
                return self.render_form(form, status=422)
            return handler(form)
        if form.is_valid():
            try:
                with transaction.atomic():
                    obj = self.save(form)
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                created = pk is None
                messages.success(request, self.saved_message(obj, created, action == "stay"))
                return redirect(request.path if action == "stay" else self.get_success_url(obj))
        return self.render_form(form, status=422)


class ObjectDeleteView(PermissionRequiredMixin, View):
    """GET: a confirmation page naming the object (and why it cannot go, if so); POST: delete it."""

    model = None
    template_name = "connex/object_delete.html"
    success_url = None  # a URL name or path: where to go afterwards (default: the parent's page)
    parent_field = ""  # an object shown on its parent's page (a gateway on its provider's)

    @classmethod
    def get_permission_required(cls, request, kwargs):
        if cls.permission_required is not None:
            return super().get_permission_required(request, kwargs)
        return (model_permission(cls.model, "delete"),)

    def get_queryset(self):
        return self.model.objects.all()

    def refusal(self, obj):
        """Why this object cannot be deleted, or '' (shown before the button, which is then hidden)."""
        return ""

    def delete(self, obj):
        """Delete through the service. May raise ValidationError."""
        raise NotImplementedError

    def get_success_url(self, obj):
        return _url(self.success_url, obj) if self.success_url else getattr(obj, self.parent_field).get_absolute_url()

    def render_page(self, obj, error="", status=200):
        shown_on = getattr(obj, self.parent_field) if self.parent_field else obj
        return render(self.request, self.template_name, {
            "object": obj, "verbose_name": obj._meta.verbose_name, "refusal": (error or self.refusal(obj)).rstrip("."),
            "cancel_url": shown_on.get_absolute_url() if hasattr(shown_on, "get_absolute_url")
            else _url(self.success_url)}, status=status)

    def get(self, request, pk):
        return self.render_page(get_object_or_404(self.get_queryset(), pk=pk))

    def post(self, request, pk):
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        name, url = str(obj), self.get_success_url(obj)
        try:
            with transaction.atomic():
                self.delete(obj)
        except ValidationError as exc:
            return self.render_page(obj, error=" ".join(exc.messages), status=422)
        messages.success(request, f"{obj._meta.verbose_name.capitalize()} “{name}” deleted.")
        return redirect(url)


class BulkMixin(PermissionRequiredMixin):
    """The rows a bulk action applies to: the list's ticked `pk`s, or all matching its filter."""

    model = None
    list_url = ""  # URL name of the list the selection came from

    def selection(self):
        """QuerySet of the selected objects, among those the staff member may see."""
        raise NotImplementedError

    def selection_context(self):
        post = self.request.POST
        return {"select_all_matching": bool(post.get("select_all_matching")),
                "pks": [] if post.get("select_all_matching") else post.getlist("pk"),
                "filter_query": post.get("filter_query", ""),
                "cancel_url": f"{reverse(self.list_url)}?{post.get('filter_query', '')}",
                "verbose_name": self.model._meta.verbose_name,
                "verbose_name_plural": self.model._meta.verbose_name_plural}

    def back_to_list(self):
        return redirect(f"{reverse(self.list_url)}?{self.request.POST.get('filter_query', '')}")

    def nothing_selected(self, verb):
        messages.warning(self.request, f"Select at least one {self.model._meta.verbose_name} to {verb}.")
        return redirect(self.list_url)


def _count(n, model):
    return f"{n} {model._meta.verbose_name if n == 1 else model._meta.verbose_name_plural}"


class BulkEditView(BulkMixin, View):
    """Edit the selected rows with a bulk form (`apply=1` posts it); nothing or everything is saved.

    The bulk form lists its rows as `form.rows()` ({tick, field}); `apply(form, ids)` calls the
    service and returns how many rows changed; its ValidationError lists every row that failed.
    """

    form_class = None
    template_name = "connex/bulk_edit.html"
    sample_size = 20

    def apply(self, form, ids):
        raise NotImplementedError

    def post(self, request):
        selection = self.selection()
        total = selection.count()
        if not total:
            return self.nothing_selected("edit")
        form = self.form_class(request.POST if request.POST.get("apply") else None)
        status = 200
        if form.is_bound:
            if form.is_valid():
                try:
                    with transaction.atomic():
                        count = self.apply(form, list(selection.values_list("pk", flat=True)))
                except ValidationError as exc:
                    if hasattr(exc, "error_dict"):
                        add_validation_errors(form, exc)
                    else:
                        form.add_error(None, ValidationError(
                            [f"Nothing was saved: {_count(len(exc.messages), self.model)} would not be valid."]
                            + exc.messages))
                else:
                    messages.success(request, f"Updated {_count(count, self.model)}.")
                    return self.back_to_list()
            status = 422
        return render(request, self.template_name, {
            "form": form, "total": total, "sample": list(selection[:self.sample_size]),
            **self.selection_context()}, status=status)


class BulkDeleteView(BulkMixin, View):
    """A confirmation page listing each selected row (in `table_class`) with why it cannot go;
    `confirm=yes` deletes them all through `delete(ids)`, or none."""

    template_name = "connex/bulk_delete.html"
    table_class = None
    shown = 500

    def refusals(self, ids):
        """{pk: reason} of the rows that must not be deleted."""
        return {}

    def delete(self, ids):
        """Delete through the service; returns how many were deleted."""
        raise NotImplementedError

    def post(self, request):
        objects = list(self.selection())
        if not objects:
            return self.nothing_selected("delete")
        ids = [obj.pk for obj in objects]
        refusals = self.refusals(ids)
        if request.POST.get("confirm") == "yes" and not refusals:
            try:
                with transaction.atomic():
                    count = self.delete(ids)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"Deleted {_count(count, self.model)}.")
            return redirect(self.list_url)
        rows = objects[:self.shown]
        for obj in rows:
            obj.refusal = refusals.get(obj.pk, "")
        return render(request, self.template_name, {
            "table": self.table_class(rows), "rows": rows, "refused": bool(refusals), "total": len(objects),
            "hidden": len(objects) - len(rows), **self.selection_context()})
