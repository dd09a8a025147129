from django.urls import path

from . import views

app_name = "sipauth"

urlpatterns = [
    path("customer/<int:customer_pk>/sip-users/new/", views.SipUserFormView.as_view(), name="sip_user_add"),
    path("sip-users/<int:pk>/edit/", views.SipUserFormView.as_view(), name="sip_user_edit"),
    path("sip-users/<int:pk>/delete/", views.SipUserDeleteView.as_view(), name="sip_user_delete"),
    path("customer/<int:customer_pk>/ip-entries/new/", views.IpEntryFormView.as_view(), name="ip_entry_add"),
    path("ip-entries/<int:pk>/edit/", views.IpEntryFormView.as_view(), name="ip_entry_edit"),
    path("ip-entries/<int:pk>/delete/", views.IpEntryDeleteView.as_view(), name="ip_entry_delete"),
]
