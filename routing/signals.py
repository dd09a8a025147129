"""Anything the routing snapshot holds marks it stale when it changes, and anything a customer's
account holds (routing.engine.CustomerAccount) marks that account stale (see routing.cache)."""

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save

from customers.signals import customers_changed

from .cache import accounts_changed, routing_changed

WATCHED = ("routing.IngressRoute", "rates.RateCard", "rates.RateRevision", "providers.Provider",
           "providers.Gateway", "providers.ProviderRateCard", "clirules.CliRule", "sipauth.IpAuthEntry",
           "sipauth.SipUser")
# Rows of one customer that its account is read from (routing.engine.ACCOUNT_SQL).
ACCOUNT_WATCHED = ("customers.AllowedWindow", "customers.ApprovedCLI", "contacts.Contact")


def _customer_saved(sender, instance, **_):
    accounts_changed([instance.pk])


def _account_row_saved(sender, instance, **_):
    accounts_changed([instance.customer_id])


def _customers_changed(sender, customer_ids, **_):
    accounts_changed(customer_ids)


def connect():
    for label in WATCHED:
        model = apps.get_model(label)
        post_save.connect(routing_changed, sender=model, dispatch_uid=f"routing-{label}-save")
        post_delete.connect(routing_changed, sender=model, dispatch_uid=f"routing-{label}-delete")
    route = apps.get_model("routing.IngressRoute")
    for through in (route.lock_cards.through, route.exclude_cards.through):
        m2m_changed.connect(routing_changed, sender=through, dispatch_uid=f"routing-{through.__name__}")

    customer = apps.get_model("customers.Customer")
    post_save.connect(_customer_saved, sender=customer, dispatch_uid="routing-account-customer-save")
    post_delete.connect(_customer_saved, sender=customer, dispatch_uid="routing-account-customer-delete")
    for label in ACCOUNT_WATCHED:
        model = apps.get_model(label)
        post_save.connect(_account_row_saved, sender=model, dispatch_uid=f"routing-account-{label}-save")
        post_delete.connect(_account_row_saved, sender=model, dispatch_uid=f"routing-account-{label}-delete")
    customers_changed.connect(_customers_changed, dispatch_uid="routing-account-customers-changed")
