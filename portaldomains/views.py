
from connex.generic import ObjectDeleteView, ObjectEditView
from connex.views import ObjectListView

from . import selectors, services
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
        return selectors.domain_list(user=self.request.user)


class DomainFormView(ObjectEditView):
    model = PortalDomain
    form_class = PortalDomainForm
    success_url = "portaldomains:domain_list"
    delete_url_name = "portaldomains:domain_delete"

    def save(self, form):
        return services.domain_save(domain=form.save(commit=False))


class DomainDeleteView(ObjectDeleteView):
    model = PortalDomain
    success_url = "portaldomains:domain_list"

    def refusal(self, domain):
        return services.domain_delete_refusal(domain=domain)

    def delete(self, domain):
        services.domain_delete(domain=domain)
