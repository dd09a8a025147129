import django_tables2 as tables
from django.utils.html import format_html_join


class StaffUserTable(tables.Table):
    preference_key = "staff_users"
    fixed_columns = ("username",)
    default_columns = ("name", "email", "roles", "is_active", "last_login")

    username = tables.Column(linkify=("staff:user_edit", {"pk": tables.A("pk")}), attrs={"td": {"class": "fw-semibold"}})
    name = tables.Column(accessor="get_full_name", verbose_name="Name", orderable=False)
    email = tables.Column()
    roles = tables.Column(accessor="pk", verbose_name="Roles", orderable=False)
    is_active = tables.BooleanColumn(verbose_name="Active")
    last_login = tables.DateTimeColumn(format="Y-m-d H:i")

    def render_roles(self, record):
        return format_html_join(" ", '<span class="cx-tag">{}</span>', ((g.name,) for g in record.groups.all())) or "—"
