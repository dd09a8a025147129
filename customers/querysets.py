from django.db import models
from django.db.models import Q


class CustomerQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # No post_save is sent for these rows (bulk_update comes here too): say they changed.
        from .signals import customers_changed

        rows = super().update(**kwargs)
        if rows:
            customers_changed.send(sender=self.model, customer_ids=None)
        return rows

    def active(self):
        return self.filter(status="active")

    def search(self, text: str):
        """Matches name, tags, PayPal email, website, ext. accounting ID and contact names/emails."""
        text = (text or "").strip()
        if not text:
            return self
        matches = (
            Q(name__icontains=text)
            | Q(paypal_email__icontains=text)
            | Q(website__icontains=text)
            | Q(external_accounting_id__icontains=text)
            | Q(pk__in=self.model.tags.through.objects.filter(tag__name__icontains=text).values("customer_id"))
            | Q(pk__in=_contact_customer_ids(text))
        )
        return self.filter(matches)


def _contact_customer_ids(text):
    from django.apps import apps

    Contact = apps.get_model("contacts", "Contact")
    return Contact.objects.filter(Q(name__icontains=text) | Q(email__icontains=text)).values("customer_id")
