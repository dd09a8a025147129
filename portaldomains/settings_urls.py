"""Settings → Portal domains, mounted under /settings/."""

from django.urls import path

from . import views

app_name = "portaldomains"

urlpatterns = [
    path("portal-domains/", views.DomainListView.as_view(), name="domain_list"),
    path("portal-domains/add/", views.DomainFormView.as_view(), name="domain_add"),
    path("portal-domains/<int:pk>/", views.DomainFormView.as_view(), name="domain_edit"),
    path("portal-domains/<int:pk>/delete/", views.DomainDeleteView.as_view(), name="domain_delete"),
]
