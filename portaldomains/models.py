import pghistory
from django.contrib.postgres.fields import ArrayField
from django.db import models

from connex.models import TimeStampedModel
from connex.validators import plain_text
from customers.models import PortalSection

from .validators import validate_colour, validate_host_name


class TopupMethod(models.TextChoices):
    PAYPAL = "paypal", "PayPal"


def all_sections():
    return [section.value for section in PortalSection]


def all_topup_methods():
    return [method.value for method in TopupMethod]


@pghistory.track(
    pghistory.InsertEvent("portal_domain.created"),
    pghistory.UpdateEvent("portal_domain.updated"),
    pghistory.DeleteEvent("portal_domain.deleted"),
    exclude=["updated"],
)
class PortalDomain(TimeStampedModel):
    """A branded address of the customer portal: its own name, logo, colours, support and offer.

    The portal picks the domain by the request's host. A customer whose Domain names this host
    signs in here; contacts of other customers are refused at this address.
    """

    host = models.CharField("host name", max_length=253, unique=True, validators=[validate_host_name],
                            help_text="The address contacts open, e.g. portal.example.com.")
    display_name = models.CharField(max_length=120, validators=[plain_text],
                                    help_text="Shown in the portal's top bar and in emails.")
    logo = models.ImageField(upload_to="portal_domains/", blank=True,
                             help_text="PNG, JPEG or WebP, about 200×50 px.")
    primary_colour = models.CharField(max_length=7, default="#1f3a5f", validators=[validate_colour],
                                      help_text="Top bar, as #RRGGBB.")
    accent_colour = models.CharField(max_length=7, default="#0d6efd", validators=[validate_colour],
                                     help_text="Buttons and links, as #RRGGBB.")
    support_email = models.EmailField(blank=True)
    support_phone = models.CharField(max_length=30, blank=True, validators=[plain_text])
    features = ArrayField(models.CharField(max_length=20, choices=PortalSection.choices), default=all_sections,
                          blank=True, help_text="Portal sections offered here (a customer's Portal Access "
                                                "narrows them further).")
    topup_methods = ArrayField(models.CharField(max_length=20, choices=TopupMethod.choices),
                               default=all_topup_methods, blank=True, verbose_name="top-up methods")

    class Meta:
        ordering = ["host"]

    def __str__(self):
        return f"{self.display_name} ({self.host})"

    def save(self, *args, **kwargs):
        self.host = (self.host or "").strip().lower()
        super().save(*args, **kwargs)

    def offers(self, section):
        return section in (self.features or [])

    def offers_topup(self, method):
        return method in (self.topup_methods or [])
