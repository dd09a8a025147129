from django.urls import path

from . import views

app_name = "numberblocks"

urlpatterns = [
    path("customer/<int:customer_pk>/assign/", views.BlockAssignView.as_view(), name="block_assign"),
    path("<int:pk>/release/", views.BlockReleaseView.as_view(), name="block_release"),
]
