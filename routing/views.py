from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from connex.forms import add_validation_errors
from connex.permissions import PermissionRequiredMixin
from customers.selectors import customer_get_visible

from . import services
from .forms import IngressRouteForm
from .models import IngressRoute


def routing_tab_context(request, customer, form=None):
    routes = (customer.ingress_routes.select_related("rate_card").prefetch_related("lock_cards", "exclude_cards")
              .order_by("-tech_prefix", "priority", "pk"))
    return {"routes": routes, "route_form": form or IngressRouteForm(customer=customer)}


class IngressRouteFormView(PermissionRequiredMixin, View):
    """Add (customer pk) or change (route pk) a route from the card's Routing tab."""

    @classmethod
    def get_permission_required(cls, request, kwargs):
        return ("routing.change_ingressroute",) if kwargs.get("route_pk") else ("routing.add_ingressroute",)

    def get(self, request, pk, route_pk=None):
        customer = customer_get_visible(user=request.user, pk=pk)
        route = get_object_or_404(IngressRoute, pk=route_pk, customer=customer) if route_pk else None
        form = IngressRouteForm(instance=route, customer=customer)
        return render(request, "routing/route_form_page.html",
                      {"customer": customer, **routing_tab_context(request, customer, form)})

    def post(self, request, pk, route_pk=None):
        customer = customer_get_visible(user=request.user, pk=pk)
        route = get_object_or_404(IngressRoute, pk=route_pk, customer=customer) if route_pk else None
        form = IngressRouteForm(request.POST, instance=route, customer=customer)
        if form.is_valid():
            try:
                services.ingress_route_save(route=form.save(commit=False),
                                            lock_cards=list(form.cleaned_data["lock_cards"]),
                                            exclude_cards=list(form.cleaned_data["exclude_cards"]))
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                messages.success(request, "Route saved.")
                return redirect("customers:customer_tab", customer.pk, "routing")
        context = {"customer": customer, **routing_tab_context(request, customer, form)}
        return render(request, "routing/route_form_page.html", context, status=422)


class IngressRouteDeleteView(PermissionRequiredMixin, View):
    permission_required = "routing.delete_ingressroute"

    def post(self, request, pk, route_pk):
        route = get_object_or_404(IngressRoute, pk=route_pk, customer=customer_get_visible(user=request.user, pk=pk))
        services.ingress_route_delete(route=route)
        messages.success(request, "Route deleted.")
        return redirect("customers:customer_tab", pk, "routing")
