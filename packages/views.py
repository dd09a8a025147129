from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View

from connex.forms import add_validation_errors
from connex.generic import (
    CardSection,
    CardSectionDeleteView,
    CardSectionFormView,
    CustomerObjectMixin,
)
from connex.permissions import PermissionRequiredMixin
from connex.views import ObjectListView

from . import selectors, services
from .filtersets import PackageFilterSet
from .forms import PackageForm, PackageSubscriptionForm
from .models import Package, PackageSubscription
from .tables import PackageTable


def packages_tab_context(request, customer):
    return {"states": selectors.package_subscription_states(customer=customer)}


SUBSCRIPTIONS = CardSection("package-subscriptions", "packages/partials/subscriptions.html", packages_tab_context)


class PackageListView(ObjectListView):
    """Settings → Packages: the catalogue."""

    permission_required = "packages.view_package"
    table_class = PackageTable
    filterset_class = PackageFilterSet
    template_name = "packages/package_list.html"
    title = "Packages"
    search_placeholder = "Name"

    def get_queryset(self):
        from django.db.models import Count

        queryset = selectors.package_list().annotate(subscription_count=Count("subscriptions"))
        query = self.request.GET.get("q", "").strip()
        return queryset.filter(name__icontains=query) if query else queryset


class PackageFormView(PermissionRequiredMixin, View):
    template_name = "packages/package_form.html"

    @classmethod
    def get_permission_required(cls, request, kwargs):
        return ("packages.change_package",) if kwargs.get("pk") else ("packages.add_package",)

    def get_package(self, pk):
        if pk is None:
            return Package()
        package = Package.objects.filter(pk=pk).first()
        if package is None:
            raise Http404("No such package.")
        return package

    def get(self, request, pk=None):
        package = self.get_package(pk)
        return render(request, self.template_name, {"form": PackageForm(instance=package),
                                                    "package": package if package.pk else None})

    def post(self, request, pk=None):
        package = self.get_package(pk)
        form = PackageForm(request.POST, instance=package)
        if form.is_valid():
            try:
                package = services.package_save(package=form.save(commit=False))
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                messages.success(request, f"Package {package} saved.")
                return redirect("packages:package_list")
        return render(request, self.template_name, {"form": form, "package": package if package.pk else None},
                      status=422)


class PackageDeleteView(PermissionRequiredMixin, View):
    permission_required = "packages.delete_package"

    def post(self, request, pk):
        package = Package.objects.filter(pk=pk).first()
        if package is None:
            raise Http404("No such package.")
        try:
            services.package_delete(package=package)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("packages:package_edit", pk=pk)
        messages.success(request, f"Package {package} deleted.")
        return redirect("packages:package_list")


class SubscriptionFormView(CardSectionFormView):
    model = PackageSubscription
    form_class = PackageSubscriptionForm
    form_template = "packages/partials/subscription_form.html"
    object_name = "subscription"
    section = SUBSCRIPTIONS

    def save(self, form):
        subscription = services.package_subscription_save(package_subscription=form.save(commit=False))
        return f"Package {subscription} saved.", {}


class SubscriptionDeleteView(CardSectionDeleteView):
    model = PackageSubscription
    section = SUBSCRIPTIONS

    def delete(self, subscription):
        services.package_subscription_delete(package_subscription=subscription)
        return f"Package {subscription} removed."


class SubscriptionPreviewView(CustomerObjectMixin, View):
    """"Run package": the next charge of a subscription, shown on the tab; nothing is charged."""

    model = PackageSubscription
    section = SUBSCRIPTIONS
    permission_required = "packages.view_packagesubscription"

    def get(self, request, pk):
        subscription = self.get_object(pk)
        due = services.package_charges_due(subscription=subscription)
        upcoming = services.package_next_charge(subscription=subscription)
        return render(request, "packages/partials/subscription_preview.html",
                      {"subscription": subscription, "due": due, "upcoming": upcoming,
                       "total": sum((c.amount for c in due), services.ZERO)})
