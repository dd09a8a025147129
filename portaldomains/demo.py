"""Demo portal domains for `manage.py seed_demo`: a branded address used by the first demo customer."""

import io


def _logo_png() -> bytes:
    """A small wordmark drawn at seed time, so the demo needs no image file."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (180, 44), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 6, 36, 38), fill="#1a8f5a")
    draw.polygon([(12, 30), (20, 14), (28, 30)], fill="white")
    draw.text((44, 8), "SKYLINE", fill="#0b3d2e")
    draw.text((44, 22), "VOICE", fill="#1a8f5a")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def load_demo_domains(stdout):
    from django.core.files.base import ContentFile

    from contacts.models import Contact
    from customers.models import Customer

    from .models import PortalDomain

    domain, created = PortalDomain.objects.get_or_create(host="portal.skyline-voice.example", defaults={
        "display_name": "Skyline Voice", "primary_colour": "#0b3d2e", "accent_colour": "#1a8f5a",
        "support_email": "support@skyline-voice.example", "support_phone": "+44 20 7946 0999"})
    if created or not domain.logo:
        domain.logo.save("skyline-voice.png", ContentFile(_logo_png()), save=True)
    first = Customer.objects.order_by("pk").first()
    if first is not None:
        if not first.domain:
            Customer.objects.filter(pk=first.pk).update(domain=domain.host)
        # Its first contact manages the others from the portal.
        contact = Contact.objects.filter(customer=first).order_by("pk").first()
        if contact is not None and not Contact.objects.filter(customer=first, portal_admin=True).exists():
            Contact.objects.filter(pk=contact.pk).update(portal_admin=True)
    stdout.write(f"Portal domains: {PortalDomain.objects.count()}.")
