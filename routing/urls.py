from django.urls import path

from . import views

app_name = "routing"

urlpatterns = [
    path("customers/<int:pk>/routes/", views.IngressRouteFormView.as_view(), name="route_add"),
    path("customers/<int:pk>/routes/<int:route_pk>/", views.IngressRouteFormView.as_view(), name="route_edit"),
    path("customers/<int:pk>/routes/<int:route_pk>/delete/", views.IngressRouteDeleteView.as_view(),
         name="route_delete"),
]
