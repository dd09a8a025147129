from django.urls import path

from .api import NumberBlockViewSet

urlpatterns = [
    path("customers/<int:customer_pk>/number-blocks/",
         NumberBlockViewSet.as_view({"get": "list", "post": "create"}), name="api_number_block_list"),
    path("customers/<int:customer_pk>/number-blocks/<int:pk>/",
         NumberBlockViewSet.as_view({"get": "retrieve", "delete": "destroy"}), name="api_number_block_detail"),
]
