"""Anything the routing snapshot holds marks it stale when it changes (see routing.cache)."""

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save

from .cache import routing_changed

WATCHED = ("routing.IngressRoute", "rates.RateCard", "rates.RateRevision", "providers.Provider",
           "providers.Gateway", "providers.ProviderRateCard", "clirules.CliRule", "sipauth.IpAuthEntry",
           "sipauth.SipUser")


def connect():
    for label in WATCHED:
        model = apps.get_model(label)
        post_save.connect(routing_changed, sender=model, dispatch_uid=f"routing-{label}-save")
        post_delete.connect(routing_changed, sender=model, dispatch_uid=f"routing-{label}-delete")
    route = apps.get_model("routing.IngressRoute")
    for through in (route.lock_cards.through, route.exclude_cards.through):
        m2m_changed.connect(routing_changed, sender=through, dispatch_uid=f"routing-{through.__name__}")
