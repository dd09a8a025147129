from django.http import Http404
from django.views.generic import TemplateView

from connex.permissions import PermissionRequiredMixin
from connex.views import ObjectListView

from . import selectors
from .filtersets import ProviderFilterSet
from .models import Provider
from .tables import ProviderTable


class ProviderListView(ObjectListView):
    permission_required = "providers.view_provider"
    table_class = ProviderTable
    filterset_class = ProviderFilterSet
    title = "Providers"
    search_placeholder = "Name"

    def get_queryset(self):
        queryset = selectors.provider_list()
        query = self.request.GET.get("q", "").strip()
        return queryset.filter(name__icontains=query) if query else queryset


class ProviderDetailView(PermissionRequiredMixin, TemplateView):
    permission_required = "providers.view_provider"
    template_name = "providers/provider_detail.html"

    def get_context_data(self, pk, **kwargs):
        try:
            provider = selectors.provider_get(pk=pk)
        except Provider.DoesNotExist:
            raise Http404("No such provider.") from None
        return super().get_context_data(provider=provider, **kwargs)
