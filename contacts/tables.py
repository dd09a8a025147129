import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from .models import Contact


class BooleanIconColumn(tables.BooleanColumn):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", {"td": {"class": "text-center"}, "th": {"class": "text-center"}})
        super().__init__(*args, yesno="✔,–", **kwargs)

    def value(self, value, **kwargs):
        return "yes" if value else "no"


class ContactTable(tables.Table):
    preference_key = "contacts"
    fixed_columns = ("name",)
    default_columns = ("customer", "email", "phone", "mobile", "contact_type", "email_verified", "mobile_verified",
                       "ip_whitelist", "last_login", "actions")

    name = tables.Column(attrs={"td": {"class": "fw-semibold"}})
    customer = tables.Column(linkify=lambda record: record.customer.get_absolute_url(),
                             order_by=("customer__name",))
    email = tables.EmailColumn()
    phone = tables.Column()
    mobile = tables.Column()
    contact_type = tables.Column(verbose_name="Type")
    email_verified = BooleanIconColumn(verbose_name="Email ✓")
    mobile_verified = BooleanIconColumn(verbose_name="Mobile ✓")
    ip_whitelist = tables.Column(verbose_name="IP whitelist", orderable=False, empty_values=())
    public_notes = tables.Column(orderable=False)
    private_notes = tables.Column(orderable=False)
    last_login = tables.DateTimeColumn(verbose_name="Last portal sign-in", format="Y-m-d H:i")
    created = tables.DateTimeColumn(format="Y-m-d H:i")
    actions = tables.Column(empty_values=(), orderable=False, verbose_name="", exclude_from_export=True)

    class Meta:
        model = Contact
        fields = ()
        order_by = ("name",)
        attrs = {"class": "table table-sm table-hover align-middle", "id": "contact-table"}
        empty_text = "No contacts match."

    def render_name(self, record):
        return format_html('<a href="{}">{}</a>', reverse("contacts:contact_edit", args=[record.pk]), record.name)

    def value_name(self, record):
        return record.name

    def render_ip_whitelist(self, record):
        return ", ".join(record.ip_whitelist) if record.ip_whitelist else "—"

    def value_ip_whitelist(self, record):
        return " ".join(record.ip_whitelist or [])

    def render_actions(self, record):
        return format_html('<a class="btn btn-sm btn-link py-0" href="{}" title="Edit"><i class="bi bi-pencil"></i></a>',
                           reverse("contacts:contact_edit", args=[record.pk]))


class ContactSectionTable(tables.Table):
    """A customer's contacts in the card's Contacts section, each with its menu."""

    name = tables.Column(attrs={"td": {"class": "fw-semibold"}})
    contact_type = tables.Column(verbose_name="Type")
    email = tables.TemplateColumn(template_name="contacts/partials/contact_email_cell.html")
    phone = tables.Column(default="—")
    mobile = tables.TemplateColumn(template_name="contacts/partials/contact_mobile_cell.html")
    ip_whitelist = tables.Column(verbose_name="IP whitelist", empty_values=())
    notes = tables.TemplateColumn(template_name="contacts/partials/contact_notes_cell.html", empty_values=(),
                                  attrs={"td": {"class": "text-truncate", "style": "max-width: 16rem"}})
    menu = tables.TemplateColumn(template_name="contacts/partials/contact_row_menu.html", verbose_name="",
                                 empty_values=(), attrs={"td": {"class": "text-end"}})

    class Meta:
        model = Contact
        fields = ()
        orderable = False
        attrs = {"class": "table table-sm align-middle mb-0 small", "id": "contact-rows",
                 "thead": {"class": "text-muted"}}
        row_attrs = {"data-contact": lambda record: record.pk}

    def render_ip_whitelist(self, record):
        return ", ".join(record.ip_whitelist) if record.ip_whitelist else "Any"
