from datetime import timedelta

import pghistory
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from connex.forms import add_validation_errors
from connex.generic import BulkDeleteView, BulkEditView, ObjectDeleteView, ObjectEditView
from connex.permissions import PermissionRequiredMixin, permission_required
from connex.registry import registry
from connex.views import ObjectListView

from . import imports, selectors, services, tasks
from .filtersets import CustomerFilterSet, DelayedChangeFilterSet
from .forms import (
    CustomerBulkEditForm,
    CustomerDefaultsForm,
    CustomerForm,
    CustomerImportForm,
    DelayForm,
)
from .models import AllowedWindow, Customer, CustomerDefaults, CustomerImport, DelayedChange, Tag
from .tables import CustomerDeleteTable, CustomerTable, DelayedChangeTable


class CustomerListView(ObjectListView):
    permission_required = "customers.view_customer"
    table_class = CustomerTable
    filterset_class = CustomerFilterSet
    template_name = "customers/customer_list.html"
    title = "Customers"
    search_placeholder = "Name, tag, email, website, ext. ID, contact"

    def get_queryset(self):
        return selectors.customers_visible_to(self.request.user,
                                              selectors.customer_list(search=self.request.GET.get("q", "")))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statuses"] = Customer.Status.choices
        context["current_status"] = self.request.GET.getlist("status")
        board = self.request.GET.copy()
        for key in ("page", "_export", "per_page"):
            board.pop(key, None)
        context["filter_query"] = board.urlencode()
        context["group_choices"] = [(key, label) for key, (label, _, _) in selectors.GROUP_FIELDS.items()]
        context["group_levels"] = self.group_levels()
        if context["group_levels"]:
            context["groups"] = selectors.customer_groups(queryset=self.object_list, levels=context["group_levels"])
        return context

    def group_levels(self):
        return [level for level in self.request.GET.getlist("group") if level in selectors.GROUP_FIELDS][:2]

    def render_to_response(self, context, **kwargs):
        if self.request.GET.get("_export") == "csv" and self.group_levels():
            return group_csv_response(self.group_levels(), selectors.customer_groups(
                queryset=self.object_list, levels=self.group_levels()))
        return super().render_to_response(context, **kwargs)


def group_csv_response(levels, groups):
    """The grouped board as CSV: one line per group (and sub-group) with its count and figures."""
    import csv

    from connex.exports import csv_row

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="customers-grouped.csv"'
    writer = csv.writer(response)
    names = [selectors.GROUP_FIELDS[level][0] for level in levels]
    writer.writerow([*names, "Customers", "Balance", "Average balance", "Debit limit", "Channels",
                     "Channels in use"])

    def figures(row):
        return [row["count"], f"{row['balance'] or 0:.2f}", f"{row['balance_avg'] or 0:.2f}",
                f"{row['debit_limit'] or 0:.2f}", row["channels"] or 0, row["channels_in_use"] or 0]

    for group in groups:
        writer.writerow(csv_row([group["label"], *([""] * (len(levels) - 1)), *figures(group)]))
        for child in group["children"]:
            writer.writerow(csv_row([group["label"], child["label"], *figures(child)]))
    return response


class CustomerEditView(ObjectEditView):
    """Create and edit share one tabbed form; Save & Continue goes to the card, Save & Stay stays,
    Delay & Save stores the changes to apply them later."""

    model = Customer
    form_class = CustomerForm
    template_name = "customers/customer_form.html"
    object_name = "customer"

    def get_queryset(self):
        return selectors.customers_visible_to(self.request.user, Customer.objects.all())

    def get_form_kwargs(self, instance):
        return {"instance": instance, "with_windows": True}

    def get_context_data(self, form, delay_form=None, **extra):
        tabs = form.tabs()
        errored = [tab["key"] for tab in tabs if tab["has_error"]]
        return super().get_context_data(
            form, tabs=tabs, active_tab=errored[0] if errored else tabs[0]["key"],
            tag_suggestions=Tag.objects.values_list("name", flat=True),
            week_grid={"days": AllowedWindow.Weekday.labels, "hours": range(24), "slots": range(48)},
            delay_form=delay_form or DelayForm(prefix="delay", initial={
                "due_at": timezone.localtime().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)}),
            **extra)

    def save(self, form):
        try:
            with transaction.atomic():
                return services.customer_save(customer=form.save(commit=False), tags=form.tags_to_set(),
                                              windows=form.windows_to_set())
        except IntegrityError:
            raise ValidationError({"name": "A customer with this name already exists."}) from None

    def action_delay(self, form):
        """Delay & Save: validate now, store the changes, apply them at the chosen time.

        A new customer is saved at once, held Inactive, and takes its chosen status then.
        """
        delay_form = DelayForm(self.request.POST, prefix="delay")
        if form.is_valid() and delay_form.is_valid():
            due_at = delay_form.cleaned_data["due_at"]
            try:
                if form.instance.pk is None:
                    status = form.cleaned_data["status"]
                    with transaction.atomic():
                        customer = services.customer_create_delayed(
                            customer=form.save(commit=False), requested_by=self.request.user, due_at=due_at,
                            tags=form.tags_to_set(), windows=form.windows_to_set())
                    messages.success(self.request, f"Customer “{customer.name}” created, held Inactive until "
                                                   f"{self.local(due_at)}; then it becomes "
                                                   f"{Customer.Status(status).label}.")
                    return redirect(customer)
                if "windows" in form.changed_data:
                    raise ValidationError("Allowed time windows cannot be delayed; save them with Save & Stay.")
                services.delayed_change_create(customer=form.instance, requested_by=self.request.user,
                                               due_at=due_at, changes=services.delayed_change_diff(form=form))
            except IntegrityError:
                form.add_error("name", "A customer with this name already exists.")
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "due_at" in exc.error_dict:
                    delay_form.add_error("due_at", exc.error_dict["due_at"])
                else:
                    add_validation_errors(form, exc)
            else:
                messages.success(self.request, f"Change of “{form.instance.name}” saved for {self.local(due_at)}.")
                return redirect(form.instance)
        return self.render_form(form, status=422, delay_form=delay_form)

    @staticmethod
    def local(moment):
        return f"{timezone.localtime(moment):%Y-%m-%d %H:%M} ({timezone.get_current_timezone_name()})"


class CustomerDeleteView(ObjectDeleteView):
    model = Customer
    success_url = "customers:customer_list"

    def get_queryset(self):
        return selectors.customers_visible_to(self.request.user, Customer.objects.all())

    def refusal(self, customer):
        return services.customer_delete_refusals([customer.pk]).get(customer.pk, "")

    def delete(self, customer):
        services.customer_delete(customer_ids=[customer.pk])


class CustomerDetailView(PermissionRequiredMixin, TemplateView):
    """The customer card: header figures and tabs; only the shown tab's data is loaded."""

    permission_required = "customers.view_customer"

    template_name = "customers/customer_detail.html"

    def visible_tabs(self):
        user = self.request.user
        return [tab for tab in registry.card_tabs if tab.permission is None or user.has_perm(tab.permission)]

    def get_context_data(self, pk, tab=None, **kwargs):
        try:
            customer = selectors.customer_get(pk=pk, user=self.request.user)
        except Customer.DoesNotExist:
            raise Http404("No such customer.") from None
        tabs = self.visible_tabs()
        key = tab or self.request.GET.get("tab") or (tabs[0].key if tabs else None)
        current = next((t for t in tabs if t.key == key), None)
        if current is None:
            raise Http404("No such tab.")
        context = super().get_context_data(customer=customer, tabs=tabs, current_tab=current,
                                           channels_in_use=selectors.customer_channels_in_use(customer), **kwargs)
        if current.context:
            context.update(current.context(self.request, customer))
        return context

    def get(self, request, pk, tab=None):
        context = self.get_context_data(pk=pk, tab=tab)
        partial = request.htmx and request.htmx.target == "card-tab"
        return render(request, context["current_tab"].template if partial else self.template_name, context)


def main_tab_context(request, customer):
    sections = []
    for section in registry.main_sections:
        if section.permission and not request.user.has_perm(section.permission):
            continue
        extra = section.context(request, customer) if section.context else {}
        sections.append({"template": section.template, "context": extra})
    return {"main_sections": sections}


def pending_changes_context(request, customer):
    return {"changes": list(selectors.delayed_change_pending(customer=customer)),
            "tz": timezone.get_current_timezone_name()}


class CustomerSelectionMixin:
    model = Customer
    list_url = "customers:customer_list"

    def selection(self):
        return selectors.customer_selection(data=self.request.POST, user=self.request.user).order_by("name")


class CustomerBulkDeleteView(CustomerSelectionMixin, BulkDeleteView):
    """Delete selected customers after a confirmation page that lists each one."""

    permission_required = "customers.delete_customer"
    template_name = "customers/customer_bulk_delete.html"
    table_class = CustomerDeleteTable

    def refusals(self, ids):
        return services.customer_delete_refusals(ids)

    def delete(self, ids):
        return services.customer_delete(customer_ids=ids)


class CustomerImportView(PermissionRequiredMixin, View):
    """Upload a file: file-level problems are shown at once; otherwise go to the preview."""

    permission_required = "customers.import_customers"

    template_name = "customers/customer_import.html"

    def get(self, request):
        return render(request, self.template_name, self.context(CustomerImportForm()))

    def context(self, form, file_errors=()):
        return {"form": form, "file_errors": file_errors, "max_mb": imports.max_upload_bytes() // (1024 * 1024),
                "columns": imports.import_columns(), "async_rows": imports.async_threshold(),
                "recent": CustomerImport.objects.select_related("user")[:5]}

    def post(self, request):
        form = CustomerImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, self.context(form), status=422)
        upload = form.cleaned_data["file"]
        if upload.size > imports.max_upload_bytes():
            errors = [f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is "
                      f"{imports.max_upload_bytes() // (1024 * 1024)} MB. Split it into smaller files."]
            return render(request, self.template_name, self.context(form, errors), status=422)
        content = upload.read()
        try:
            parsed = imports.parse_file(content=content, filename=upload.name)
        except imports.ImportFileError as exc:
            return render(request, self.template_name, self.context(form, exc.messages), status=422)
        customer_import = CustomerImport(user=request.user, original_name=upload.name,
                                         update_existing=form.cleaned_data["update_existing"],
                                         total_rows=len(parsed.rows))
        customer_import.file.save(upload.name, ContentFile(content), save=False)
        customer_import.save()
        if customer_import.total_rows >= imports.async_threshold():
            transaction.on_commit(lambda: tasks.customer_import_preview_task.delay(customer_import.pk))
        else:
            imports.customer_import_preview(customer_import=customer_import)
        return redirect("customers:customer_import_detail", pk=customer_import.pk)


class CustomerImportDetailView(PermissionRequiredMixin, View):
    """The preview (with Confirm), the live progress of a long run, or the result."""

    permission_required = "customers.import_customers"

    template_name = "customers/customer_import_detail.html"

    def get(self, request, pk):
        customer_import = get_object_or_404(CustomerImport, pk=pk)
        if request.htmx and request.htmx.target == "import-progress":
            if not customer_import.is_running:
                response = HttpResponse()
                response["HX-Refresh"] = "true"
                return response
            return render(request, "customers/partials/import_progress.html", {"imp": customer_import})
        return render(request, self.template_name, {
            "imp": customer_import, "preview": customer_import.preview,
            "rows": self.preview_rows(customer_import.preview),
            "form": CustomerImportForm(initial={"update_existing": customer_import.update_existing})})

    @staticmethod
    def preview_rows(preview):
        """Each shown row as cells carrying their own errors, plus errors of columns not in the file."""
        columns = preview.get("columns", [])
        rows = []
        for row in preview.get("rows", []):
            errors = row["errors"]
            cells = [{"value": value, "errors": errors.get(column, [])}
                     for column, value in zip(columns, row["values"], strict=False)]
            other = [f"{column}: {message}" for column, messages in errors.items() if column not in columns
                     for message in messages]
            rows.append({"line": row["line"], "action": row["action"], "cells": cells, "other": other})
        return rows

    def post(self, request, pk):
        """Confirm: import every row or none; large files run as a task."""
        with transaction.atomic():
            customer_import = get_object_or_404(CustomerImport.objects.select_for_update(), pk=pk)
            if customer_import.state != CustomerImport.State.PREVIEW:
                messages.warning(request, "This file cannot be imported in its current state.")
                return redirect("customers:customer_import_detail", pk=pk)
            if customer_import.total_rows >= imports.async_threshold():
                customer_import.state = CustomerImport.State.IMPORTING
                customer_import.processed_rows = 0
                customer_import.save()
                transaction.on_commit(lambda: tasks.customer_import_run_task.delay(customer_import.pk))
                return redirect("customers:customer_import_detail", pk=pk)
        imports.customer_import_run(customer_import=customer_import)
        if customer_import.state == CustomerImport.State.DONE:
            messages.success(request, f"Imported {customer_import.new_count} new and updated "
                                      f"{customer_import.updated_count} customers.")
        return redirect("customers:customer_import_detail", pk=pk)


@permission_required("customers.import_customers")
def customer_import_template(request, fmt):
    dataset = imports.template_dataset()
    if fmt == "xlsx":
        response = HttpResponse(dataset.export("xlsx"), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    else:
        response = HttpResponse(dataset.export("csv"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="customers-template.{fmt}"'
    return response


class CustomerBulkEditView(CustomerSelectionMixin, BulkEditView):
    """Edit the ticked fields of the selected customers (or all matching the board's filter)."""

    permission_required = ("customers.change_customer", "customers.bulk_edit_customers")
    form_class = CustomerBulkEditForm

    def apply(self, form, ids):
        if not form.has_changes():
            raise ValidationError({"__all__": "Tick at least one field to change."})
        values, add_tags, remove_tags = form.changes()
        with pghistory.context(action="bulk_edit"):
            return services.customer_bulk_update(customer_ids=ids, values=values, add_tags=add_tags,
                                                 remove_tags=remove_tags)


class CustomerDefaultsView(PermissionRequiredMixin, View):
    """Settings → New customers: what the customer form starts with."""

    template_name = "customers/customer_defaults.html"

    @classmethod
    def get_permission_required(cls, request, kwargs):
        if request is not None and request.method == "POST":
            return ("customers.change_customerdefaults",)
        return ("customers.view_customerdefaults",)

    def get(self, request):
        return render(request, self.template_name, {"form": CustomerDefaultsForm(instance=CustomerDefaults.get())})

    def post(self, request):
        form = CustomerDefaultsForm(request.POST, instance=CustomerDefaults.get())
        if form.is_valid():
            form.save()
            messages.success(request, "New customer defaults saved.")
            return redirect("customers:customer_defaults")
        return render(request, self.template_name, {"form": form}, status=422)


class DelayedChangeListView(ObjectListView):
    permission_required = "customers.view_delayedchange"
    table_class = DelayedChangeTable
    filterset_class = DelayedChangeFilterSet
    title = "Delayed changes"
    search_placeholder = "Customer name"

    def get_queryset(self):
        return selectors.visible_through_customer(
            self.request.user, selectors.delayed_change_list(search=self.request.GET.get("q", "")))


class DelayedChangeCancelView(PermissionRequiredMixin, View):
    permission_required = ("customers.change_customer", "customers.change_delayedchange")

    def post(self, request, pk):
        change = get_object_or_404(selectors.visible_through_customer(request.user, DelayedChange.objects.all()),
                                   pk=pk)
        try:
            services.delayed_change_cancel(change=change)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Delayed change cancelled.")
        return redirect(request.POST.get("next") or change.customer.get_absolute_url())
