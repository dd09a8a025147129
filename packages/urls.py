from django.urls import path

from . import views

app_name = "packages"

urlpatterns = [
    path("", views.PackageListView.as_view(), name="package_list"),
    path("new/", views.PackageFormView.as_view(), name="package_add"),
    path("<int:pk>/", views.PackageFormView.as_view(), name="package_edit"),
    path("<int:pk>/delete/", views.PackageDeleteView.as_view(), name="package_delete"),
    path("customer/<int:customer_pk>/subscriptions/new/", views.SubscriptionFormView.as_view(),
         name="subscription_add"),
    path("subscriptions/<int:pk>/edit/", views.SubscriptionFormView.as_view(), name="subscription_edit"),
    path("subscriptions/<int:pk>/delete/", views.SubscriptionDeleteView.as_view(), name="subscription_delete"),
    path("subscriptions/<int:pk>/preview/", views.SubscriptionPreviewView.as_view(), name="subscription_preview"),
]
