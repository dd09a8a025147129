from django.urls import path

from . import views

app_name = "contacts"

urlpatterns = [
    path("", views.ContactListView.as_view(), name="contact_list"),
    path("new/", views.ContactEditView.as_view(), name="contact_add_global"),
    path("<int:pk>/edit/", views.ContactEditView.as_view(), name="contact_edit"),
    path("<int:pk>/password/", views.ContactPasswordView.as_view(), name="contact_password"),
    # In place on the customer card (htmx).
    path("customer/<int:customer_pk>/new/", views.ContactSectionFormView.as_view(), name="contact_add"),
    path("<int:pk>/card/edit/", views.ContactSectionFormView.as_view(), name="contact_card_edit"),
    path("<int:pk>/card/password/", views.ContactSectionPasswordView.as_view(), name="contact_card_password"),
]
