import pghistory
from django.utils.functional import SimpleLazyObject

from .auth import get_impersonator, get_portal_contact
from .branding import request_domain


class PortalMiddleware:
    """On /portal/ pages: request.portal_domain (branded domain of the host, or None),
    request.portal_contact (or None), request.impersonator, audit context."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/portal/"):
            return self.get_response(request)
        request.portal_domain = request_domain(request)
        request.portal_contact = SimpleLazyObject(lambda: get_portal_contact(request))
        request.impersonator = SimpleLazyObject(lambda: get_impersonator(request))
        contact = request.portal_contact
        if not contact:
            return self.get_response(request)
        context = {"actor": contact.email, "actor_type": "contact", "contact_id": contact.pk,
                   "customer_id": contact.customer_id, "request_id": getattr(request, "request_id", None)}
        impersonator = request.impersonator
        if impersonator:
            context.update(actor_type="impersonation", impersonator=impersonator.get_username(),
                           user=impersonator.pk)
        with pghistory.context(**context):
            return self.get_response(request)
