import django_tables2 as tables
from django.urls import reverse

from connex.tables import NUM
from ledger.models import LedgerEntry
from ledger.tables import LedgerMoneyColumn

from .models import CdrImport


class CdrImportTable(tables.Table):
    preference_key = "cdr_imports"
    fixed_columns = ("imported_at",)
    default_columns = ("origin", "name", "rows", "inserted", "charged")

    imported_at = tables.DateTimeColumn(verbose_name="Imported at", format="Y-m-d H:i:s", linkify=True)
    origin = tables.Column()
    name = tables.Column(linkify=True)
    rows = tables.Column(attrs=NUM)
    inserted = tables.Column(attrs=NUM)
    charged = LedgerMoneyColumn(verbose_name="Charged")

    class Meta:
        model = CdrImport
        fields = ()
        order_by = ("-imported_at",)
        attrs = {"class": "table table-sm table-hover align-middle", "id": "cdr-import-table"}
        empty_text = "No CDR imports match."


class CdrImportEntryTable(tables.Table):
    """The ledger entries one CDR import posted: one per customer it charged."""

    customer = tables.Column(linkify=lambda record: reverse("customers:customer_tab",
                                                            args=[record.customer_id, "payments"]),
                             order_by=("customer__name",))
    amount = LedgerMoneyColumn(verbose_name="Amount")
    calls = tables.Column(attrs=NUM)
    description = tables.Column(orderable=False)

    class Meta:
        model = LedgerEntry
        fields = ()
        order_by = ("customer",)
        attrs = {"class": "table table-sm table-hover mb-0 small", "id": "cdr-import-entries"}
        empty_text = "No ledger entries: this import charged no customer you may see."
