from django.urls import path

from . import views

app_name = "cdrs"

urlpatterns = [
    path("customers/<int:pk>/", views.CdrListView.as_view(), name="cdr_list"),
    path("customers/<int:pk>/recalc/", views.RecalcView.as_view(), name="recalc"),
    path("recalc/<int:pk>/", views.RecalcJobView.as_view(), name="recalc_detail"),
]
