from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from connex.generic import ObjectDeleteView, ObjectEditView
from connex.permissions import PermissionRequiredMixin
from connex.views import ObjectListView

from . import selectors, services
from .filtersets import ProviderFilterSet
from .forms import GatewayForm, ProviderCardAttachForm, ProviderForm
from .models import Gateway, Provider, ProviderRateCard
from .tables import ProviderTable


class ProviderListView(ObjectListView):
    permission_required = "providers.view_provider"
    table_class = ProviderTable
    filterset_class = ProviderFilterSet
    template_name = "providers/provider_list.html"
    title = "Providers"
    search_placeholder = "Name"

    def get_queryset(self):
        queryset = selectors.provider_list()
        query = self.request.GET.get("q", "").strip()
        return queryset.filter(name__icontains=query) if query else queryset


def provider_detail_context(provider, attach_form=None):
    return {"provider": provider,
            "attach_form": attach_form or ProviderCardAttachForm(provider=provider)}


class ProviderDetailView(PermissionRequiredMixin, TemplateView):
    permission_required = "providers.view_provider"
    template_name = "providers/provider_detail.html"

    def get_context_data(self, pk, **kwargs):
        try:
            provider = selectors.provider_get(pk=pk)
        except Provider.DoesNotExist:
            raise Http404("No such provider.") from None
        return super().get_context_data(**provider_detail_context(provider), **kwargs)


class ProviderFormView(ObjectEditView):
    model = Provider
    form_class = ProviderForm

    def save(self, form):
        return services.provider_save(provider=form.save(commit=False))

    def cancel_url(self, instance):
        return instance.get_absolute_url() if instance.pk else reverse("providers:provider_list")


class ProviderDeleteView(ObjectDeleteView):
    model = Provider
    template_name = "providers/provider_delete.html"
    success_url = "providers:provider_list"

    def delete(self, provider):
        services.provider_delete(provider=provider)


class GatewayFormView(ObjectEditView):
    model = Gateway
    form_class = GatewayForm
    parent_model, parent_field = Provider, "provider"

    def save(self, form):
        return services.gateway_save(gateway=form.save(commit=False))


class GatewayDeleteView(ObjectDeleteView):
    model = Gateway
    parent_field = "provider"

    def get_queryset(self):
        return Gateway.objects.select_related("provider")

    def delete(self, gateway):
        services.gateway_delete(gateway=gateway)


class ProviderCardAttachView(PermissionRequiredMixin, View):
    """Attach a buy card to the provider (its card's Rate cards section)."""

    permission_required = "providers.add_providerratecard"

    def post(self, request, pk):
        provider = get_object_or_404(Provider, pk=pk)
        form = ProviderCardAttachForm(request.POST, provider=provider)
        if form.is_valid():
            try:
                link = services.provider_card_attach(provider=provider, card=form.cleaned_data["card"])
            except ValidationError as exc:
                form.add_error("card", exc.message_dict.get("card", exc.messages))
            else:
                messages.success(request, f"{link.card} now prices {provider}'s calls.")
                return redirect(provider)
        context = provider_detail_context(selectors.provider_get(pk=pk), attach_form=form)
        return render(request, "providers/provider_detail.html", context, status=422)


class ProviderCardDetachView(PermissionRequiredMixin, View):
    permission_required = "providers.delete_providerratecard"

    def post(self, request, pk, card_pk):
        link = get_object_or_404(ProviderRateCard.objects.select_related("provider", "card"), provider_id=pk,
                                 card_id=card_pk)
        services.provider_card_detach(link=link)
        messages.success(request, f"{link.card} detached from {link.provider}.")
        return redirect(link.provider)
