"""Portal sign-in for contacts, kept apart from staff (Django auth) sessions.

A contact's sign-in lives under its own session keys; it never creates a Django user login,
so panel pages (which require a staff user) stay closed to it, and a staff login alone does
not open the portal.
"""

from django.contrib.auth.hashers import make_password  # noqa: F401  (re-exported for callers)
from django.utils.crypto import constant_time_compare, salted_hmac

SESSION_CONTACT_KEY = "_portal_contact_id"
SESSION_HASH_KEY = "_portal_contact_hash"
SESSION_IMPERSONATOR_KEY = "_portal_impersonator_id"


def _session_hash(contact):
    # Changing the password ends every session that was opened with the old one.
    return salted_hmac("connex.portal.session", contact.password).hexdigest()


def contact_login(request, contact, *, impersonator=None):
    request.session.cycle_key()
    request.session[SESSION_CONTACT_KEY] = contact.pk
    request.session[SESSION_HASH_KEY] = _session_hash(contact)
    if impersonator is not None:
        request.session[SESSION_IMPERSONATOR_KEY] = impersonator.pk
    else:
        request.session.pop(SESSION_IMPERSONATOR_KEY, None)


def contact_logout(request):
    for key in (SESSION_CONTACT_KEY, SESSION_HASH_KEY, SESSION_IMPERSONATOR_KEY):
        request.session.pop(key, None)


def get_portal_contact(request):
    from contacts.models import Contact

    contact_id = request.session.get(SESSION_CONTACT_KEY)
    if not contact_id:
        return None
    contact = Contact.objects.select_related("customer").filter(pk=contact_id).first()
    if contact is None:
        return None
    if not constant_time_compare(request.session.get(SESSION_HASH_KEY, ""), _session_hash(contact)):
        return None
    if not contact_belongs_to_domain(contact, getattr(request, "portal_domain", None)):
        return None
    if SESSION_IMPERSONATOR_KEY in request.session and get_impersonator(request) is None:
        # A Portal Login session outlives neither the staff login nor the permission behind it.
        return None
    return contact


def contact_belongs_to_domain(contact, domain) -> bool:
    """At a branded domain only its customers' contacts are signed in; the main address takes all."""
    return domain is None or contact.customer.domain == domain.host


def get_impersonator(request):
    """The staff user viewing the portal as a contact, if this is a Portal Login session."""
    from django.contrib.auth import get_user_model

    user_id = request.session.get(SESSION_IMPERSONATOR_KEY)
    if not user_id or not request.user.is_authenticated or request.user.pk != user_id:
        return None
    user = get_user_model().objects.filter(pk=user_id, is_staff=True, is_active=True).first()
    if user is None or not user.has_perm("customers.portal_login"):
        return None
    return user
