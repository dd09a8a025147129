from django.urls import path

from connex.permissions import portal_view

from . import portal_views

app_name = "paypal_portal"

urlpatterns = [
    path("topup/", portal_views.topup, name="topup"),
    path("topup/return/", portal_views.topup_return, name="topup_return"),
]

# The portal checks the signed-in contact itself (portal.access); staff permissions do not apply.
for pattern in urlpatterns:
    portal_view(pattern.callback)
