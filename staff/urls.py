from django.urls import path

from . import views

app_name = "staff"

urlpatterns = [
    path("", views.StaffUserListView.as_view(), name="user_list"),
    path("new/", views.StaffUserFormView.as_view(), name="user_add"),
    path("<int:pk>/", views.StaffUserFormView.as_view(), name="user_edit"),
    path("<int:pk>/password/", views.StaffPasswordResetView.as_view(), name="user_password_reset"),
    path("roles/<int:pk>/", views.RoleFormView.as_view(), name="role_edit"),
]
