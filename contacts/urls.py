from django.urls import path

from . import views

app_name = "contacts"

urlpatterns = [
    path("", views.ContactListView.as_view(), name="contact_list"),
    path("new/", views.ContactFormView.as_view(), name="contact_add_global"),
    path("customer/<int:customer_pk>/new/", views.ContactFormView.as_view(), name="contact_add"),
    path("customer/<int:customer_pk>/section/", views.ContactSectionView.as_view(), name="contact_section"),
    path("<int:pk>/edit/", views.ContactFormView.as_view(), name="contact_edit"),
    path("<int:pk>/password/", views.ContactPasswordView.as_view(), name="contact_password"),
]
