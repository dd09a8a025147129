import django_tables2 as tables
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html

from .models import ApiToken


class ApiTokenTable(tables.Table):
    name = tables.Column()
    prefix = tables.Column(verbose_name="Key starts", orderable=False)
    user = tables.Column(verbose_name="User")
    scopes = tables.Column(orderable=False)
    created = tables.DateTimeColumn(format="Y-m-d H:i")
    last_used_at = tables.DateTimeColumn(verbose_name="Last used", format="Y-m-d H:i")
    expires_at = tables.DateTimeColumn(verbose_name="Expires", format="Y-m-d H:i", default="never")
    state = tables.Column(empty_values=(), orderable=False)
    actions = tables.Column(empty_values=(), orderable=False, verbose_name="")

    class Meta:
        model = ApiToken
        fields = ()
        attrs = {"class": "table table-sm table-hover align-middle", "id": "api-token-table"}
        empty_text = "No API tokens yet."

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def render_prefix(self, value):
        return format_html("<code>cx_{}_…</code>", value)

    def render_scopes(self, value):
        return ", ".join(value)

    def render_state(self, record):
        colour = {"active": "success", "expired": "secondary", "revoked": "danger"}[record.state]
        return format_html('<span class="badge text-bg-{}">{}</span>', colour, record.state)

    def render_actions(self, record):
        if record.state != "active":
            return ""
        return format_html(
            '<form method="post" action="{}" class="d-inline" onsubmit="return confirm(\'Revoke {}? Systems '
            'using it lose access at once.\')"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<button class="btn btn-sm btn-outline-danger py-0">Revoke</button></form>',
            reverse("apitokens:token_revoke", args=[record.pk]), record.name, get_token(self.request))
