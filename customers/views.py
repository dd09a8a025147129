from datetime import timedelta

import pghistory
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from connex.permissions import PermissionRequiredMixin, permission_required
from connex.registry import registry
from connex.views import ObjectListView

from . import imports, selectors, services, tasks
from .filtersets import CustomerFilterSet, DelayedChangeFilterSet
from .forms import (
    AllowedWindowFormSet,
    CustomerBulkEditForm,
    CustomerForm,
    CustomerImportForm,
    DelayForm,
)
from .models import Customer, CustomerImport, DelayedChange, Tag
from .tables import CustomerTable, DelayedChangeTable


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
        return context


class CustomerFormView(PermissionRequiredMixin, View):
    """Create and edit share one tabbed form; Save & Continue goes to the card, Save & Stay stays."""

    template_name = "customers/customer_form.html"

    @classmethod
    def get_permission_required(cls, request, kwargs):
        return ("customers.change_customer",) if kwargs.get("pk") else ("customers.add_customer",)

    def get_customer(self, pk):
        return selectors.customer_get_visible(user=self.request.user, pk=pk) if pk else Customer()

    def render_form(self, request, form, formset, status=200):
        tabs = form.tabs()
        if formset.is_bound and formset.total_error_count():
            next(tab for tab in tabs if tab["key"] == "daytime")["has_error"] = True
        errored = [tab["key"] for tab in tabs if tab["has_error"]]
        context = {"form": form, "formset": formset, "customer": form.instance, "tabs": tabs,
                   "delay_form": getattr(self, "delay_form", None) or DelayForm(prefix="delay", initial={
                       "due_at": timezone.localtime().replace(minute=0, second=0, microsecond=0)
                       + timedelta(hours=1)}),
                   "active_tab": errored[0] if errored else tabs[0]["key"],
                   "tag_suggestions": Tag.objects.values_list("name", flat=True)}
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk=None):
        customer = self.get_customer(pk)
        return self.render_form(request, CustomerForm(instance=customer),
                                AllowedWindowFormSet(instance=customer, prefix="windows"))

    def post(self, request, pk=None):
        customer = self.get_customer(pk)
        form = CustomerForm(request.POST, instance=customer)
        formset = AllowedWindowFormSet(request.POST, instance=customer, prefix="windows")
        if request.POST.get("action") == "delay" and customer.pk:
            return self.delay(request, form, formset)
        if form.is_valid() and formset.is_valid():
            windows = [(f.cleaned_data["start"], f.cleaned_data["end"]) for f in formset.forms
                       if f.cleaned_data and not f.cleaned_data.get("DELETE")
                       and f.cleaned_data.get("start") is not None and f.cleaned_data.get("end") is not None]
            try:
                with transaction.atomic():
                    customer = services.customer_save(customer=form.save(commit=False), tags=form.tags_to_set(),
                                                      windows=windows)
            except ValidationError as exc:
                form.add_error(None, exc)
            except IntegrityError:
                form.add_error("name", "A customer with this name already exists.")
            else:
                messages.success(request, f"Customer “{customer.name}” saved.")
                if request.POST.get("action") == "stay":
                    return redirect("customers:customer_edit", pk=customer.pk)
                return redirect(customer)
        return self.render_form(request, form, formset, status=422)

    def delay(self, request, form, formset):
        """Delay & Save: validate now, store the field changes, apply them at the chosen time."""
        self.delay_form = DelayForm(request.POST, prefix="delay")
        if form.is_valid() and formset.is_valid() and self.delay_form.is_valid():
            if formset.has_changed():
                form.add_error(None, "Allowed time windows cannot be delayed; save them with Save & Stay.")
            else:
                try:
                    change = services.delayed_change_create(
                        customer=form.instance, requested_by=request.user,
                        due_at=self.delay_form.cleaned_data["due_at"], changes=services.delayed_change_diff(form=form))
                except ValidationError as exc:
                    if hasattr(exc, "error_dict") and "due_at" in exc.error_dict:
                        self.delay_form.add_error("due_at", exc.error_dict["due_at"])
                    else:
                        form.add_error(None, exc)
                else:
                    local = timezone.localtime(change.due_at)
                    messages.success(request, f"Change of “{form.instance.name}” saved for "
                                              f"{local:%Y-%m-%d %H:%M} ({timezone.get_current_timezone_name()}).")
                    return redirect(form.instance)
        # The instance was changed in memory by validation; show the stored name in the heading.
        return self.render_form(request, form, formset, status=422)


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
        context = super().get_context_data(customer=customer, tabs=tabs, current_tab=current, **kwargs)
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


class CustomerBulkDeleteView(PermissionRequiredMixin, View):
    """Delete selected customers after a confirmation page that lists each one."""

    permission_required = "customers.delete_customer"

    template_name = "customers/customer_bulk_delete.html"

    def post(self, request):
        customers = list(selectors.customer_selection(data=request.POST, user=request.user).order_by("name"))
        if not customers:
            messages.warning(request, "Select at least one customer to delete.")
            return redirect("customers:customer_list")
        refusals = services.customer_delete_refusals([c.pk for c in customers])
        if request.POST.get("confirm") == "yes" and not refusals:
            count = services.customer_delete(customer_ids=[c.pk for c in customers])
            messages.success(request, f"Deleted {count} customer{'s' if count != 1 else ''}.")
            return redirect("customers:customer_list")
        rows = [{"customer": c, "refusal": refusals.get(c.pk)} for c in customers[:500]]
        return render(request, self.template_name, {"rows": rows, "refused": bool(refusals),
                                                    "total": len(customers), "hidden": len(customers) - len(rows),
                                                    "cancel_url": reverse("customers:customer_list")})


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


class CustomerBulkEditView(PermissionRequiredMixin, View):
    """Edit the ticked fields of the selected customers (or all matching the board's filter)."""

    permission_required = ("customers.change_customer", "customers.bulk_edit_customers")

    template_name = "customers/customer_bulk_edit.html"

    def post(self, request):
        selection = selectors.customer_selection(data=request.POST, user=request.user)
        total = selection.count()
        if not total:
            messages.warning(request, "Select at least one customer to edit.")
            return redirect("customers:customer_list")
        form = CustomerBulkEditForm(request.POST if request.POST.get("apply") else None)
        status = 200
        if form.is_bound:
            if form.is_valid() and not form.has_changes():
                form.add_error(None, "Tick at least one field to change.")
            if form.is_valid():
                values, add_tags, remove_tags = form.changes()
                try:
                    with pghistory.context(action="bulk_edit"):
                        count = services.customer_bulk_update(
                            customer_ids=list(selection.values_list("pk", flat=True)),
                            values=values, add_tags=add_tags, remove_tags=remove_tags)
                except ValidationError as exc:
                    form.add_error(None, ValidationError(
                        [f"Nothing was saved: {len(exc.messages)} customer{'s' if len(exc.messages) != 1 else ''} "
                         "would not be valid."] + exc.messages))
                else:
                    messages.success(request, f"Updated {count} customer{'s' if count != 1 else ''}.")
                    return redirect(f"{reverse('customers:customer_list')}?{request.POST.get('filter_query', '')}")
            status = 422
        sample = list(selection.order_by("name")[:20])
        return render(request, self.template_name, {
            "form": form, "total": total, "sample": sample,
            "pks": [] if request.POST.get("select_all_matching") else request.POST.getlist("pk")}, status=status)


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
