import django_tables2 as tables

from .models import Switch


class SwitchTable(tables.Table):
    preference_key = "switches"
    fixed_columns = ("name",)
    default_columns = ("address", "rpc_url", "updated")

    name = tables.Column(linkify=("calls_settings:switch_edit", {"pk": tables.A("pk")}))
    address = tables.Column()
    rpc_url = tables.Column()
    updated = tables.DateTimeColumn(format="Y-m-d H:i")

    class Meta:
        model = Switch
        fields = ()
        order_by = ("name",)
        attrs = {"class": "table table-sm table-hover", "id": "switch-table"}
        empty_text = "No switches yet: add the Kamailio that reports your calls."
