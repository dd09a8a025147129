from importlib.util import find_spec

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from connex import views
from connex.permissions import permission_required, public_view
from customers.views import DelayedChangeListView

# Each app that offers API endpoints has an `api_urls` module; they share /api/v1/.
API_APPS = ["customers", "contacts", "numberblocks", "summaries", "invoicing", "messaging", "sipauth", "providers",
            "clirules", "calls"]
api_patterns = [path("", include(f"{app}.api_urls")) for app in API_APPS if find_spec(f"{app}.api_urls")]

urlpatterns = [
    path("", public_view(RedirectView.as_view(pattern_name="customers:customer_list", permanent=False))),
    path("healthz", public_view(lambda request: HttpResponse("ok", content_type="text/plain"))),
    path("login/", public_view(auth_views.LoginView.as_view(redirect_authenticated_user=True)), name="login"),
    path("logout/", public_view(auth_views.LogoutView.as_view()), name="logout"),
    path("settings/", views.SettingsIndexView.as_view(), name="settings"),
    path("settings/options/", views.AccountOptionsView.as_view(), name="options"),
    path("settings/", include("messaging.settings_urls")),
    path("preferences/", views.PreferencesView.as_view(), name="preferences"),
    path("preferences/columns/<str:table>/", views.TableColumnsView.as_view(), name="table_columns"),
    path("customers/", include("customers.urls")),
    path("delayed-changes/", DelayedChangeListView.as_view(), name="delayed_change_list"),
    path("contacts/", include("contacts.urls")),
    path("numberblocks/", include("numberblocks.urls")),
    path("summaries/", include("summaries.urls")),
    path("invoicing/", include("invoicing.urls")),
    path("ledger/", include("ledger.urls")),
    path("messaging/", include("messaging.urls")),
    path("portal/billing/", include("invoicing.portal_urls")),
    path("portal/", include("portal.urls")),
    path("sipauth/", include("sipauth.urls")),
    path("calls/", include("calls.urls")),
    path("providers/", include("providers.urls")),
    path("customers/", include("portal.panel_urls")),
    path("audit/", include("audit.urls")),
    path("portal/", include("summaries.portal_urls")),
    path("api/v1/", include(api_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    media = static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
    for pattern in media:
        pattern.callback = permission_required()(pattern.callback)
    urlpatterns += media
