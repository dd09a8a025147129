from django.urls import path

from . import views

app_name = "providers"

urlpatterns = [
    path("", views.ProviderListView.as_view(), name="provider_list"),
    path("new/", views.ProviderFormView.as_view(), name="provider_add"),
    path("<int:pk>/", views.ProviderDetailView.as_view(), name="provider_detail"),
    path("<int:pk>/edit/", views.ProviderFormView.as_view(), name="provider_edit"),
    path("<int:pk>/delete/", views.ProviderDeleteView.as_view(), name="provider_delete"),
    path("<int:parent_pk>/gateways/new/", views.GatewayFormView.as_view(), name="gateway_add"),
    path("gateways/<int:pk>/edit/", views.GatewayFormView.as_view(), name="gateway_edit"),
    path("gateways/<int:pk>/delete/", views.GatewayDeleteView.as_view(), name="gateway_delete"),
    path("<int:pk>/cards/", views.ProviderCardAttachView.as_view(), name="provider_card_attach"),
    path("<int:pk>/cards/<int:card_pk>/detach/", views.ProviderCardDetachView.as_view(),
         name="provider_card_detach"),
]
