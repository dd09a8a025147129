"""Portal writes: sign-in, password reset, verification, approved CLIs and Portal Login.

Each action records its PortalEvent in the same transaction.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import is_password_usable, make_password
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from connex.phone import phone_e164
from contacts.models import Contact
from contacts.validators import ip_allowed
from customers.models import ApprovedCLI
from messaging.services import message_queue
from portaldomains.selectors import customer_brand, customer_portal_url

from .auth import contact_belongs_to_domain
from .models import PortalCode, PortalEvent
from .throttle import throttle_state

RESET_SALT = "connex.portal.password-reset"
RESET_MAX_AGE = 60 * 60
VERIFY_EMAIL_SALT = "connex.portal.verify-email"
VERIFY_EMAIL_MAX_AGE = 3 * 24 * 60 * 60
CODE_LIFETIME = timedelta(minutes=15)
CODE_MAX_ATTEMPTS = 5
PORTAL_LOGIN_PERMISSION = "customers.portal_login"


def _signature(brand) -> str:
    """The closing lines of a portal email: who writes, and how to reach their support."""
    reach = " · ".join(part for part in (brand.support_email, brand.support_phone) if part)
    return f"\n\n-- \n{brand.name}" + (f"\nSupport: {reach}" if reach else "") + (
        f"\n{brand.base_url}/portal/" if brand.base_url else "")


def event_record(*, kind, contact=None, ip=None, email="", staff_user=None, **detail) -> PortalEvent:
    return PortalEvent.objects.create(
        kind=kind, contact=contact, customer=contact.customer if contact else None, ip=ip or None,
        email=(email or (contact.email if contact else "")).strip().lower(), staff_user=staff_user, detail=detail,
    )


def contact_authenticate(*, email, password):
    """The contact with this email and password, or None. Emails match case-insensitively."""
    contact = Contact.objects.select_related("customer").filter(email__iexact=email.strip()).first()
    if contact is None or not is_password_usable(contact.password or None):
        # Hash anyway, so an unknown email takes as long to refuse as a wrong password and the
        # answer time does not tell which emails have accounts.
        make_password(password)
        return None
    if not contact.check_password(password):
        return None
    return contact


@dataclass(frozen=True)
class SignIn:
    contact: Contact | None = None
    error: str = ""


@transaction.atomic
def portal_sign_in(*, email, password, ip, domain=None) -> SignIn:
    """Check throttle, credentials, IP whitelist and portal domain, in that order, recording what happened.

    At a branded domain (`domain`) only contacts of the customers using it may sign in.
    """
    state = throttle_state(email=email, ip=ip)
    if state.locked:
        event_record(kind=PortalEvent.Kind.LOGIN_THROTTLED, email=email, ip=ip)
        minutes = max(1, -(-int(state.retry_after.total_seconds()) // 60))
        return SignIn(error=f"Too many failed sign-ins from your address. Try again in {minutes} minute"
                            f"{'s' if minutes != 1 else ''}.")
    contact = contact_authenticate(email=email, password=password)
    if contact is None:
        event_record(kind=PortalEvent.Kind.LOGIN_FAILED, email=email, ip=ip)
        return SignIn(error="Email or password is incorrect.")
    if not ip_allowed(contact.ip_whitelist, ip):
        event_record(kind=PortalEvent.Kind.LOGIN_REFUSED_IP, contact=contact, email=email, ip=ip)
        return SignIn(error=f"Signing in from your address ({ip}) is not allowed for this account. "
                            "Ask your provider to add it to your IP whitelist.")
    if not contact_belongs_to_domain(contact, domain):
        event_record(kind=PortalEvent.Kind.LOGIN_REFUSED_DOMAIN, contact=contact, email=email, ip=ip,
                     host=domain.host)
        # The same words as a wrong password: the answer does not reveal accounts of other brands.
        return SignIn(error="Email or password is incorrect.")
    contact.last_login = timezone.now()
    contact.save(update_fields=["last_login"])
    event_record(kind=PortalEvent.Kind.LOGIN, contact=contact, email=email, ip=ip)
    return SignIn(contact=contact)


# Password reset -------------------------------------------------------------------------------

def _password_fingerprint(contact):
    # Part of the reset token: once the password changes, every earlier link stops working.
    return salted_hmac(RESET_SALT, contact.password or "-").hexdigest()[:20]


def password_reset_token(contact) -> str:
    return signing.dumps({"c": contact.pk, "p": _password_fingerprint(contact)}, salt=RESET_SALT)


def password_reset_contact(token) -> Contact | None:
    """The contact a still-valid, unused reset link belongs to."""
    try:
        data = signing.loads(token, salt=RESET_SALT, max_age=RESET_MAX_AGE)
    except signing.BadSignature:
        return None
    contact = Contact.objects.select_related("customer").filter(pk=data.get("c")).first()
    if contact is None or not constant_time_compare(data.get("p", ""), _password_fingerprint(contact)):
        return None
    return contact


@transaction.atomic
def password_reset_request(*, email, ip, link_for) -> None:
    """Email a reset link if a contact has this email; the caller answers the same either way."""
    contact = Contact.objects.select_related("customer").filter(email__iexact=(email or "").strip()).first()
    if contact is None:
        return
    link = customer_portal_url(contact.customer, link_for(password_reset_token(contact)))
    brand = customer_brand(contact.customer)
    message_queue(channel="email", to=contact.email, kind="password_reset", customer=contact.customer,
                  contact=contact, subject=f"Reset your {brand.name} portal password",
                  body=f"Hello {contact.name},\n\nTo choose a new password for the {brand.name} portal of "
                       f"{contact.customer.name}, open this link within an hour:\n\n{link}\n\n"
                       f"If you did not ask for this, ignore this email.{_signature(brand)}")
    event_record(kind=PortalEvent.Kind.PASSWORD_RESET_REQUESTED, contact=contact, ip=ip)


@transaction.atomic
def password_reset_confirm(*, contact, password, ip) -> Contact:
    validate_password(password, user=contact)
    contact.set_password(password)
    contact.save(update_fields=["password", "updated"])
    event_record(kind=PortalEvent.Kind.PASSWORD_RESET, contact=contact, ip=ip)
    return contact


# Verification ---------------------------------------------------------------------------------

def _code_hash(code_id, code):
    return salted_hmac("connex.portal.code", f"{code_id}:{code}").hexdigest()


def _code_issue(*, contact, purpose, target) -> str:
    code = f"{secrets.randbelow(10**6):06d}"
    # Earlier codes for the same target stop working once a new one is sent.
    PortalCode.objects.filter(contact=contact, purpose=purpose, target=target, used_at__isnull=True).update(
        used_at=timezone.now())
    row = PortalCode.objects.create(contact=contact, purpose=purpose, target=target, code_hash="-",
                                    expires_at=timezone.now() + CODE_LIFETIME)
    row.code_hash = _code_hash(row.pk, code)
    row.save(update_fields=["code_hash"])
    return code


def _code_check(*, contact, purpose, target, code) -> bool:
    row = PortalCode.objects.select_for_update().filter(
        contact=contact, purpose=purpose, target=target, used_at__isnull=True, expires_at__gt=timezone.now(),
    ).order_by("-created").first()
    if row is None or row.attempts >= CODE_MAX_ATTEMPTS:
        return False
    row.attempts += 1
    ok = constant_time_compare(row.code_hash, _code_hash(row.pk, (code or "").strip()))
    if ok:
        row.used_at = timezone.now()
    row.save(update_fields=["attempts", "used_at", "updated"])
    return ok


def email_verification_token(contact) -> str:
    return signing.dumps({"c": contact.pk, "e": contact.email.lower()}, salt=VERIFY_EMAIL_SALT)


@transaction.atomic
def email_verification_send(*, contact, link_for) -> None:
    link = customer_portal_url(contact.customer, link_for(email_verification_token(contact)))
    brand = customer_brand(contact.customer)
    message_queue(channel="email", to=contact.email, kind="verification", customer=contact.customer,
                  contact=contact, subject=f"Confirm your email address for {brand.name}",
                  body=f"Hello {contact.name},\n\nPlease confirm this email address for the {brand.name} portal of "
                       f"{contact.customer.name} by opening:\n\n{link}\n{_signature(brand)}")


@transaction.atomic
def email_verification_confirm(*, token, ip=None) -> Contact | None:
    """Marks the contact's email verified if the link is genuine, recent, and for its current email."""
    try:
        data = signing.loads(token, salt=VERIFY_EMAIL_SALT, max_age=VERIFY_EMAIL_MAX_AGE)
    except signing.BadSignature:
        return None
    contact = Contact.objects.select_related("customer").filter(pk=data.get("c")).first()
    if contact is None or contact.email.lower() != data.get("e"):
        return None
    if not contact.email_verified:
        contact.email_verified = True
        contact.save(update_fields=["email_verified", "updated"])
        event_record(kind=PortalEvent.Kind.EMAIL_VERIFIED, contact=contact, ip=ip)
    return contact


@dataclass(frozen=True)
class Notice:
    """What a contact is told after asking for a code: what really happened and what to do."""

    level: str  # a django.contrib.messages level name: "success", "warning" or "error"
    text: str


def code_delivery_notice(*, message, to) -> Notice:
    """Tell the truth about a code sent by text message, judged when it is queued.

    A wrong address fails at once; without an SMS provider the outbox marks the message
    "not sent", so promising a code would leave the contact waiting for nothing.
    """
    from connex.models import AccountOptions
    from messaging.models import Message, MessagingOptions
    from messaging.transports import sms_configured

    options = AccountOptions.get()
    provider = options.company_name or "Your provider"
    reach = f" at {options.company_email}" if options.company_email else ""
    if message.state == Message.State.FAILED:
        return Notice("error", f"We could not send a code to {to}: {message.error.rstrip('.')}. "
                               f"Ask {provider}{reach} to correct the number.")
    if not sms_configured(MessagingOptions.get()):
        return Notice("warning", f"No code was sent to {to}: {provider} has not set up text messages yet. "
                                 f"Contact them{reach} to verify this number another way, or try again later.")
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    return Notice("success", f"We sent a 6-digit code by text message to {to}. It usually arrives within a "
                             f"minute and works for {minutes} minutes.")


@transaction.atomic
def mobile_verification_send(*, contact):
    """Issue a code and queue it by SMS; returns the outbox message."""
    if not contact.mobile:
        raise ValidationError("Your contact details have no mobile number; ask your provider to add it.")
    code = _code_issue(contact=contact, purpose=PortalCode.Purpose.MOBILE, target=contact.mobile)
    return message_queue(channel="sms", to=contact.mobile, kind="verification", customer=contact.customer,
                         contact=contact, body=f"Your {contact.customer.name} verification code is {code}")


@transaction.atomic
def mobile_verification_confirm(*, contact, code, ip=None) -> bool:
    if not _code_check(contact=contact, purpose=PortalCode.Purpose.MOBILE, target=contact.mobile, code=code):
        return False
    contact.mobile_verified = True
    contact.save(update_fields=["mobile_verified", "updated"])
    event_record(kind=PortalEvent.Kind.MOBILE_VERIFIED, contact=contact, ip=ip)
    return True


# Approved CLIs --------------------------------------------------------------------------------

@transaction.atomic
def cli_submit(*, contact, number, ip=None) -> ApprovedCLI:
    """Record a CLI as pending and 'call' it with a code (queued in the outbox until a switch places it)."""
    customer = contact.customer
    if not (number or "").strip():
        raise ValidationError("Enter the number you call from.")
    e164 = phone_e164(number, customer.country)
    cli, created = ApprovedCLI.objects.select_for_update().get_or_create(customer=customer, number=e164)
    if not created and cli.is_active:
        raise ValidationError(f"{e164} is already approved.")
    if not created:
        cli.approved_at = cli.revoked_at = None
        cli.save(update_fields=["approved_at", "revoked_at", "updated"])
    code = _code_issue(contact=contact, purpose=PortalCode.Purpose.CLI, target=e164)
    # Not saved: the view reads it to tell the contact whether the code really went out.
    cli.code_message = message_queue(channel="sms", to=e164, kind="cli_verification", customer=customer,
                                     contact=contact, subject="CLI verification",
                                     body=f"Your code to approve {e164} as a caller ID is {code}")
    event_record(kind=PortalEvent.Kind.CLI_SUBMITTED, contact=contact, ip=ip, number=e164)
    return cli


@transaction.atomic
def cli_confirm(*, contact, cli, code, ip=None) -> bool:
    if cli.customer_id != contact.customer_id:
        raise PermissionDenied
    if not _code_check(contact=contact, purpose=PortalCode.Purpose.CLI, target=cli.number, code=code):
        return False
    cli.approved_at, cli.revoked_at = timezone.now(), None
    cli.save(update_fields=["approved_at", "revoked_at", "updated"])
    event_record(kind=PortalEvent.Kind.CLI_APPROVED, contact=contact, ip=ip, number=cli.number)
    return True


@transaction.atomic
def cli_revoke(*, cli, user, ip=None) -> ApprovedCLI:
    if cli.revoked_at is None:
        cli.revoked_at = timezone.now()
        cli.save(update_fields=["revoked_at", "updated"])
        PortalEvent.objects.create(kind=PortalEvent.Kind.CLI_REVOKED, customer=cli.customer, staff_user=user,
                                   ip=ip or None, detail={"number": cli.number})
    return cli


@transaction.atomic
def cli_approve(*, customer, number, user=None) -> ApprovedCLI:
    """Staff (or their provisioning system) approve a CLI directly, without the verification call."""
    if not (number or "").strip():
        raise ValidationError({"number": "Enter the number."})
    try:
        e164 = phone_e164(number, customer.country or None)
    except ValidationError as exc:
        raise ValidationError({"number": exc.messages})
    cli, created = ApprovedCLI.objects.select_for_update().get_or_create(customer=customer, number=e164)
    if not created and cli.is_active:
        raise ValidationError({"number": f"{e164} is already approved for this customer."})
    cli.approved_at, cli.revoked_at = timezone.now(), None
    cli.save(update_fields=["approved_at", "revoked_at", "updated"])
    PortalEvent.objects.create(kind=PortalEvent.Kind.CLI_APPROVED, customer=customer, staff_user=user,
                               detail={"number": e164})
    return cli


@transaction.atomic
def cli_delete(*, cli) -> None:
    cli.delete()


# Portal Login ---------------------------------------------------------------------------------

def can_portal_login(user) -> bool:
    return bool(user and user.is_authenticated and user.is_staff and user.has_perm(PORTAL_LOGIN_PERMISSION))


@transaction.atomic
def impersonation_start(*, user, contact, ip) -> PortalEvent:
    """Record a staff member opening the portal as a contact.

    The contact's IP whitelist does not apply: it limits where the contact's own credentials
    work, while the staff member is authenticated by the panel and this permission, and the
    address they came from is recorded here.
    """
    if not can_portal_login(user):
        raise PermissionDenied("You do not have permission to use Portal Login.")
    return event_record(kind=PortalEvent.Kind.IMPERSONATION_START, contact=contact, staff_user=user, ip=ip)


@transaction.atomic
def impersonation_end(*, user, contact, ip) -> PortalEvent:
    return event_record(kind=PortalEvent.Kind.IMPERSONATION_END, contact=contact, staff_user=user, ip=ip)
