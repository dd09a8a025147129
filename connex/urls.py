from importlib.util import find_spec

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from calls.api_urls import switch_urlpatterns
from connex import views
from connex.permissions import permission_required, public_view
from customers.views import DelayedChangeListView

# Each app that offers API endpoints has an `api_urls` module; they share /api/v1/. No two apps
# share a path, so the order only sets how soon a path is found: the switch's call control first.
API_APPS = ["calls", "sipauth", "summaries", "customers", "contacts", "numberblocks", "invoicing", "messaging",
            "portal", "rates", "routing", "providers", "clirules", "alerts", "dids", "packages", "paypal", "cdrs",
            "portaldomains"]
api_patterns = [path("", include(f"{app}.api_urls")) for app in API_APPS if find_spec(f"{app}.api_urls")]
# Apps with settings pages (listed on the Settings index through the registry) mount them here.
SETTINGS_APPS = ["invoicing", "messaging", "numberblocks", "summaries", "alerts", "paypal", "portaldomains", "calls"]
settings_patterns = [path("", include(f"{app}.settings_urls")) for app in SETTINGS_APPS]

handler404 = "connex.views.page_not_found"
handler500 = "connex.views.server_error"

urlpatterns = [
    # First: the switch's calls, then the rest of the API, which machines call many times a second
    # and which shares no path with pages.
    *switch_urlpatterns,
    path("api/v1/", include(api_patterns)),
    path("", public_view(RedirectView.as_view(pattern_name="customers:customer_list", permanent=False))),
    path("favicon.ico", public_view(RedirectView.as_view(url=settings.STATIC_URL + "favicon.svg", permanent=True))),
    path("healthz", public_view(views.healthz), name="healthz"),
    path("login/", public_view(auth_views.LoginView.as_view(redirect_authenticated_user=True)), name="login"),
    path("logout/", public_view(auth_views.LogoutView.as_view()), name="logout"),
    path("settings/", views.SettingsIndexView.as_view(), name="settings"),
    path("settings/company/", views.AccountOptionsView.as_view(), name="company_settings"),
    path("settings/health/", views.SystemHealthView.as_view(), name="system_health"),
    path("settings/lockouts/", views.SignInLockoutListView.as_view(), name="signin_lockouts"),
    path("settings/lockouts/<int:pk>/unlock/", views.SignInLockoutUnlockView.as_view(), name="signin_lockout_unlock"),
    path("settings/", include(settings_patterns)),
    path("settings/users/", include("staff.urls")),
    path("settings/api-tokens/", include("apitokens.urls")),
    path("preferences/", views.PreferencesView.as_view(), name="preferences"),
    path("preferences/columns/<str:table>/", views.TableColumnsView.as_view(), name="table_columns"),
    path("customers/", include("customers.urls")),
    path("delayed-changes/", DelayedChangeListView.as_view(), name="delayed_change_list"),
    path("contacts/", include("contacts.urls")),
    path("numberblocks/", include("numberblocks.urls")),
    path("summaries/", include("summaries.urls")),
    path("invoicing/", include("invoicing.urls")),
    path("ledger/", include("ledger.urls")),
    path("cdrs/", include("cdrs.urls")),
    path("rates/", include("rates.urls")),
    path("routing/", include("routing.urls")),
    path("messaging/", include("messaging.urls")),
    path("portal/billing/", include("invoicing.portal_urls")),
    path("portal/billing/", include("paypal.portal_urls")),
    path("paypal/", include("paypal.urls")),
    path("portal/", include("portal.urls")),
    path("sipauth/", include("sipauth.urls")),
    path("calls/", include("calls.urls")),
    path("providers/", include("providers.urls")),
    path("dids/", include("dids.urls")),
    path("packages/", include("packages.urls")),
    path("clirules/", include("clirules.urls")),
    path("customers/", include("portal.panel_urls")),
    path("audit/", include("audit.urls")),
    path("alerts/", include("alerts.urls")),
    path("portal/", include("summaries.portal_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", login_required(SpectacularSwaggerView.as_view(url_name="api_schema")), name="api_docs"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    media = static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
    for pattern in media:
        pattern.callback = permission_required()(pattern.callback)
    urlpatterns += media
