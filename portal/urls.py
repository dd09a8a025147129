from django.urls import path

from connex.permissions import portal_view

from . import selfservice_views, views

app_name = "portal"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.login, name="login"),
    path("brand/logo/", views.brand_logo, name="brand_logo"),
    path("logout/", views.logout, name="logout"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/<str:token>/", views.password_reset_confirm, name="password_reset_confirm"),
    path("verify/", views.verify, name="verify"),
    path("verify/email/send/", views.verify_email_send, name="verify_email_send"),
    path("verify/email/<str:token>/", views.verify_email_confirm, name="verify_email_confirm"),
    path("verify/mobile/send/", views.verify_mobile_send, name="verify_mobile_send"),
    path("verify/mobile/", views.verify_mobile_confirm, name="verify_mobile_confirm"),
    path("clis/", views.clis, name="clis"),
    path("clis/<int:pk>/confirm/", views.cli_confirm, name="cli_confirm"),
    path("clis/<int:pk>/resend/", views.cli_resend, name="cli_resend"),
    path("sip-users/", selfservice_views.sip_users, name="sip_users"),
    path("sip-users/<int:pk>/password/", selfservice_views.sip_user_password, name="sip_user_password"),
    path("sip-users/<int:pk>/delete/", selfservice_views.sip_user_delete, name="sip_user_delete"),
    path("rates/", selfservice_views.rates, name="rates"),
    path("dids/", selfservice_views.dids, name="dids"),
    path("dids/<int:pk>/destination/", selfservice_views.did_destination, name="did_destination"),
    path("alerts/", selfservice_views.alerts, name="alerts"),
    path("contacts/", selfservice_views.contacts, name="contacts"),
    path("contacts/<int:pk>/reset/", selfservice_views.contact_reset, name="contact_reset"),
    path("contacts/<int:pk>/remove/", selfservice_views.contact_remove, name="contact_remove"),
    path("contacts/<int:pk>/admin/", selfservice_views.contact_admin, name="contact_admin"),
    path("impersonate/<int:contact_id>/", views.impersonate_start, name="impersonate_start"),
    path("impersonate/end/", views.impersonate_end, name="impersonate_end"),
]

# The portal checks the signed-in contact itself (portal.access); staff permissions do not apply.
for pattern in urlpatterns:
    portal_view(pattern.callback)
