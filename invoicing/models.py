import pghistory
from django.db import models

from connex.models import TimeStampedModel


@pghistory.track(
    pghistory.InsertEvent("invoice_template.created"),
    pghistory.UpdateEvent("invoice_template.updated"),
    pghistory.DeleteEvent("invoice_template.deleted"),
    exclude=["updated"],
)
class InvoiceTemplate(TimeStampedModel):
    """HTML and CSS an invoice PDF is rendered from."""

    name = models.CharField(max_length=100, unique=True)
    html = models.TextField()
    css = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
