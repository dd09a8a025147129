from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from connex.registry import registry
from connex.views import ObjectListView

from . import selectors, services
from .filtersets import CustomerFilterSet
from .forms import AllowedWindowFormSet, CustomerForm
from .models import Customer, Tag
from .tables import CustomerTable


class CustomerListView(ObjectListView):
    table_class = CustomerTable
    filterset_class = CustomerFilterSet
    template_name = "customers/customer_list.html"
    title = "Customers"
    search_placeholder = "Name, tag, email, website, ext. ID, contact"

    def get_queryset(self):
        return selectors.customer_list(search=self.request.GET.get("q", ""))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statuses"] = Customer.Status.choices
        context["current_status"] = self.request.GET.getlist("status")
        board = self.request.GET.copy()
        for key in ("page", "_export", "per_page"):
            board.pop(key, None)
        context["filter_query"] = board.urlencode()
        return context


class CustomerFormView(View):
    """Create and edit share one tabbed form; Save & Continue goes to the card, Save & Stay stays."""

    template_name = "customers/customer_form.html"

    def get_customer(self, pk):
        return get_object_or_404(Customer, pk=pk) if pk else Customer()

    def render_form(self, request, form, formset, status=200):
        tabs = form.tabs()
        if formset.is_bound and formset.total_error_count():
            next(tab for tab in tabs if tab["key"] == "daytime")["has_error"] = True
        errored = [tab["key"] for tab in tabs if tab["has_error"]]
        context = {"form": form, "formset": formset, "customer": form.instance, "tabs": tabs,
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


class CustomerDetailView(TemplateView):
    """The customer card: header figures and tabs; only the shown tab's data is loaded."""

    template_name = "customers/customer_detail.html"

    def visible_tabs(self):
        user = self.request.user
        return [tab for tab in registry.card_tabs if tab.permission is None or user.has_perm(tab.permission)]

    def get_context_data(self, pk, tab=None, **kwargs):
        customer = selectors.customer_get(pk=pk) if Customer.objects.filter(pk=pk).exists() else None
        if customer is None:
            raise Http404("No such customer.")
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
        extra = section.context(request, customer) if section.context else {}
        sections.append({"template": section.template, "context": extra})
    return {"main_sections": sections}


class CustomerBulkDeleteView(View):
    """Delete selected customers after a confirmation page that lists each one."""

    template_name = "customers/customer_bulk_delete.html"

    def post(self, request):
        customers = list(selectors.customer_selection(data=request.POST).order_by("name"))
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
