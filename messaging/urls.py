from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("", views.MessageListView.as_view(), name="message_list"),
    path("<int:pk>/", views.MessageDetailView.as_view(), name="message_detail"),
    path("<int:pk>/resend/", views.MessageResendView.as_view(), name="message_resend"),
    path("broadcasts/", views.BroadcastListView.as_view(), name="broadcast_list"),
    path("broadcasts/new/", views.BroadcastComposeView.as_view(), name="broadcast_compose"),
    path("broadcasts/<int:pk>/", views.BroadcastDetailView.as_view(), name="broadcast_detail"),
]
