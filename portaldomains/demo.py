"""Demo portal domains for `manage.py seed_demo`: a branded address used by the first demo customer."""


def load_demo_domains(stdout):
    from customers.models import Customer

    from .models import PortalDomain

    domain, _ = PortalDomain.objects.get_or_create(host="portal.skyline-voice.example", defaults={
        "display_name": "Skyline Voice", "primary_colour": "#0b3d2e", "accent_colour": "#1a8f5a",
        "support_email": "support@skyline-voice.example", "support_phone": "+44 20 7946 0999"})
    first = Customer.objects.order_by("pk").first()
    if first is not None and not first.domain:
        Customer.objects.filter(pk=first.pk).update(domain=domain.host)
    stdout.write(f"Portal domains: {PortalDomain.objects.count()}.")
