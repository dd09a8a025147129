from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from connex.forms import add_validation_errors
from connex.permissions import PermissionRequiredMixin
from connex.views import ObjectListView
from customers.models import Customer

from . import services
from .filtersets import PortalDomainFilterSet
from .forms import PortalDomainForm
from .models import PortalDomain
from .tables import PortalDomainTable


class DomainListView(ObjectListView):
    permission_required = "portaldomains.view_portaldomain"
    table_class = PortalDomainTable
    filterset_class = PortalDomainFilterSet
    template_name = "portaldomains/domain_list.html"
    title = "Portal domains"

    def get_queryset(self):
        count = Customer.objects.filter(domain=OuterRef("host")).order_by().values("domain").annotate(
            n=Count("pk")).values("n")
        return PortalDomain.objects.annotate(customer_count=Coalesce(Subquery(count), 0))


class DomainFormView(PermissionRequiredMixin, View):
    template_name = "portaldomains/domain_form.html"

    @classmethod
    def get_permission_required(cls, request, kwargs):
        return ("portaldomains.change_portaldomain",) if kwargs.get("pk") else ("portaldomains.add_portaldomain",)

    def render_form(self, form, status=200):
        return render(self.request, self.template_name, {"form": form, "domain": form.instance,
                                                         "title": "Portal domain"}, status=status)

    def instance(self, pk):
        return get_object_or_404(PortalDomain, pk=pk) if pk else PortalDomain()

    def get(self, request, pk=None):
        return self.render_form(PortalDomainForm(instance=self.instance(pk)))

    def post(self, request, pk=None):
        form = PortalDomainForm(request.POST, request.FILES, instance=self.instance(pk))
        if form.is_valid():
            try:
                domain = services.domain_save(domain=form.save(commit=False))
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                messages.success(request, f"Portal domain {domain.host} saved.")
                return redirect("portaldomains:domain_list")
        return self.render_form(form, status=422)


class DomainDeleteView(PermissionRequiredMixin, View):
    permission_required = "portaldomains.delete_portaldomain"

    def post(self, request, pk):
        domain = get_object_or_404(PortalDomain, pk=pk)
        try:
            services.domain_delete(domain=domain)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("portaldomains:domain_edit", pk=pk)
        messages.success(request, f"Portal domain {domain.host} deleted.")
        return redirect("portaldomains:domain_list")
