from django.urls import path

from . import views

app_name = "rates"

urlpatterns = [
    path("", views.RateCardListView.as_view(), name="card_list"),
    path("new/", views.RateCardFormView.as_view(), name="card_add"),
    path("<int:pk>/", views.RateCardDetailView.as_view(), name="card_detail"),
    path("<int:pk>/edit/", views.RateCardFormView.as_view(), name="card_edit"),
    path("<int:pk>/generate/", views.GenerateView.as_view(), name="card_generate"),
    path("<int:pk>/upload/", views.DeckUploadView.as_view(), name="deck_upload"),
    path("uploads/<int:pk>/", views.DeckUploadDetailView.as_view(), name="upload_detail"),
    path("revisions/<int:pk>.csv", views.RevisionDownloadView.as_view(), name="revision_download"),
]
