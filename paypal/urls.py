from django.urls import path

from . import views

app_name = "paypal"

urlpatterns = [
    path("ipns/", views.IpnListView.as_view(), name="ipn_list"),
    path("ipn/", views.ipn, name="ipn"),
]
