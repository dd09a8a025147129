"""What a contact changes in the portal: its customer's SIP users and, as administrator, its contacts.

Each service takes the acting contact (and the staff member under Portal Login), works only on
the contact's own customer, reuses the owning app's service for the change itself, and records a
PortalEvent naming both identities in the same transaction. The row history (pghistory) gets the
same actors from the portal middleware's context.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from connex.passwords import password_generate
from contacts.models import Contact
from contacts.services import contact_password_set, contact_save
from numberblocks.selectors import allowed_ranges
from sipauth import services as sip_services
from sipauth.models import SipUser

from .models import PortalEvent
from .services import event_record


def _record(kind, *, actor, impersonator=None, ip=None, **detail):
    return event_record(kind=kind, contact=actor, staff_user=impersonator, ip=ip, **detail)


def _own(obj, actor):
    if obj.customer_id != actor.customer_id:
        # Views look objects up within the customer already; this is the last line.
        raise PermissionDenied("This belongs to another customer.")


# SIP users --------------------------------------------------------------------------------------

def _inside_blocks(customer, extension):
    ranges = allowed_ranges(customer=customer)
    if not ranges:
        raise ValidationError({"extension": "Your account has no number blocks yet; ask your provider for one."})
    if not any(start <= extension <= end for start, end in ranges):
        shown = ", ".join(f"{start}–{end}" for start, end in ranges)
        raise ValidationError({"extension": f"Extension {extension} is outside your number blocks ({shown})."})


@transaction.atomic
def sip_user_add(*, actor, extension, impersonator=None, ip=None) -> tuple[SipUser, str]:
    """A new SIP user inside the customer's blocks; returns it and its password (shown once)."""
    _inside_blocks(actor.customer, extension)
    password = password_generate()
    sip_user = sip_services.sip_user_save(sip_user=SipUser(customer=actor.customer, extension=extension),
                                          password=password)
    _record(PortalEvent.Kind.SIP_USER_ADDED, actor=actor, impersonator=impersonator, ip=ip,
            extension=sip_user.extension)
    return sip_user, password


@transaction.atomic
def sip_user_password_change(*, actor, sip_user, impersonator=None, ip=None) -> str:
    """A new generated password for the SIP user; returned once, only its digest is kept."""
    _own(sip_user, actor)
    password = password_generate()
    # Only the digest changes: the extension stays, so its block is not checked again.
    sip_user = SipUser.objects.select_for_update().get(pk=sip_user.pk)
    sip_user.set_password(password)
    sip_user.save(update_fields=["ha1", "password_changed", "updated"])
    _record(PortalEvent.Kind.SIP_USER_PASSWORD, actor=actor, impersonator=impersonator, ip=ip,
            extension=sip_user.extension)
    return password


@transaction.atomic
def sip_user_remove(*, actor, sip_user, impersonator=None, ip=None) -> None:
    _own(sip_user, actor)
    extension = sip_user.extension
    sip_services.sip_user_delete(sip_user=sip_user)
    _record(PortalEvent.Kind.SIP_USER_DELETED, actor=actor, impersonator=impersonator, ip=ip, extension=extension)


# DIDs and the low-balance alert ----------------------------------------------------------------

@transaction.atomic
def did_destination_change(*, actor, did, destination_type, sip_user=None, ip_entry=None, destination_uri="",
                           impersonator=None, ip=None):
    """Where calls to one of the customer's numbers go, where staff let the customer choose."""
    from dids.services import did_destination_set

    _own(did, actor)
    if not did.portal_can_edit_destination:
        raise PermissionDenied("Your provider sets where this number's calls go.")
    before = did.destination_label
    did = did_destination_set(did=did, destination_type=destination_type, sip_user=sip_user, ip_entry=ip_entry,
                              destination_uri=destination_uri)
    _record(PortalEvent.Kind.DID_DESTINATION_CHANGED, actor=actor, impersonator=impersonator, ip=ip,
            number=did.number, before=before, after=did.destination_label)
    return did


@transaction.atomic
def low_balance_alert_change(*, actor, threshold, reset_threshold=None, recipients=(), enabled=True,
                             impersonator=None, ip=None):
    """The customer's own low-balance alert: threshold, re-arm level, recipients, on or off."""
    from alerts.services import low_balance_alert_set

    alert = low_balance_alert_set(customer=actor.customer, threshold=threshold, reset_threshold=reset_threshold,
                                  recipients=list(recipients), enabled=enabled)
    _record(PortalEvent.Kind.LOW_BALANCE_ALERT_CHANGED, actor=actor, impersonator=impersonator, ip=ip,
            threshold=str(alert.threshold),
            reset_threshold=None if alert.reset_threshold is None else str(alert.reset_threshold),
            recipients=list(alert.recipients), enabled=alert.enabled)
    return alert


# Contacts (the customer's administrators) -------------------------------------------------------

def _require_admin(actor):
    if not actor.portal_admin:
        raise PermissionDenied("Only the account's administrators manage its contacts.")


def _lock_contacts(customer_id):
    # Serialises administrator changes per customer, so two removals cannot both pass the check.
    return list(Contact.objects.select_for_update().filter(customer_id=customer_id).order_by("pk")
                .values_list("pk", "portal_admin"))


def _would_leave_no_admin(customer_id, *, without):
    rows = _lock_contacts(customer_id)
    return not any(admin for pk, admin in rows if pk != without)


@transaction.atomic
def contact_invite(*, actor, name, email, portal_admin=False, portal_url="", impersonator=None, ip=None) -> Contact:
    """Add a contact to the actor's customer and email it a generated password."""
    _require_admin(actor)
    contact = Contact(customer=actor.customer, name=name, email=email, portal_admin=portal_admin)
    contact_save(contact=contact, auto_password=True, portal_url=portal_url)
    _record(PortalEvent.Kind.CONTACT_INVITED, actor=actor, impersonator=impersonator, ip=ip,
            invited=contact.pk, invited_email=contact.email)
    return contact


@transaction.atomic
def contact_reset(*, actor, contact, portal_url="", impersonator=None, ip=None) -> None:
    """Email the contact a new generated password (the old one stops working)."""
    _require_admin(actor)
    _own(contact, actor)
    contact_password_set(contact=contact, password=None, portal_url=portal_url)
    _record(PortalEvent.Kind.CONTACT_RESET, actor=actor, impersonator=impersonator, ip=ip, target=contact.pk)


@transaction.atomic
def contact_admin_set(*, actor, contact, portal_admin: bool, impersonator=None, ip=None) -> Contact:
    _require_admin(actor)
    _own(contact, actor)
    if not portal_admin and _would_leave_no_admin(actor.customer_id, without=contact.pk):
        raise ValidationError("The account needs at least one administrator; make another contact "
                              "administrator first.")
    Contact.objects.filter(pk=contact.pk).update(portal_admin=portal_admin)
    contact.refresh_from_db()
    _record(PortalEvent.Kind.CONTACT_ADMIN_CHANGED, actor=actor, impersonator=impersonator, ip=ip,
            target=contact.pk, portal_admin=portal_admin)
    return contact


@transaction.atomic
def contact_remove(*, actor, contact, impersonator=None, ip=None) -> None:
    _require_admin(actor)
    _own(contact, actor)
    if contact.portal_admin and _would_leave_no_admin(actor.customer_id, without=contact.pk):
        raise ValidationError(f"{contact.name} is the account's last administrator and cannot be removed.")
    if contact.pk == actor.pk:
        raise ValidationError("You cannot remove yourself; another administrator can.")
    detail = {"removed": contact.pk, "removed_email": contact.email, "removed_name": contact.name}
    from contacts.services import contact_delete

    contact_delete(contact=contact)
    _record(PortalEvent.Kind.CONTACT_REMOVED, actor=actor, impersonator=impersonator, ip=ip, **detail)
