"""Customers typed their Domain as free text before; each distinct host becomes a portal domain."""

from django.db import migrations


def forwards(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    PortalDomain = apps.get_model("portaldomains", "PortalDomain")
    hosts = Customer.objects.exclude(domain="").values_list("domain", flat=True).distinct()
    for host in hosts:
        clean = host.strip().lower()
        PortalDomain.objects.get_or_create(host=clean, defaults={"display_name": clean[:120]})
        if clean != host:
            Customer.objects.filter(domain=host).update(domain=clean)


class Migration(migrations.Migration):
    dependencies = [
        ("portaldomains", "0001_initial"),
        ("customers", "0010_customer_domain_from_portal_domains"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
