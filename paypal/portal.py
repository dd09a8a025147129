"""Whether this portal page may offer PayPal: the settings, and the branded domain's top-up methods."""

from .models import PayPalOptions


def paypal_offered(request) -> bool:
    options = PayPalOptions.get()
    if not (options.enabled and options.receiver_email):
        return False
    domain = getattr(request, "portal_domain", None)
    return domain is None or domain.offers_topup("paypal")
