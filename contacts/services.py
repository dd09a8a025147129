import pghistory
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from connex.passwords import password_generate
from messaging.services import message_queue

from .models import Contact
from .validators import looks_like_password


def contact_notes_warnings(contact) -> list[str]:
    """Warnings (not errors) for notes that look like they hold a password."""
    return [f"The {label} look like they contain a password. Passwords do not belong in notes: "
            "use “Change password” instead."
            for label, text in (("public notes", contact.public_notes), ("private notes", contact.private_notes))
            if looks_like_password(text)]


@transaction.atomic
def contact_password_set(*, contact, password=None, portal_url="") -> bool:
    """Set a typed password (validated), or generate one and email it; True when generated.

    A generated password exists only in the email sent to the contact: staff never see it.
    """
    generated = password is None
    if generated:
        password = password_generate()
    else:
        validate_password(password, user=contact)
    contact.set_password(password)
    contact.save(update_fields=["password", "updated"])
    pghistory.create_event(contact, label="contact.password_set")
    if generated:
        # The customer's branded portal domain, when it has one, names the portal and its address.
        from portaldomains.selectors import customer_brand, customer_portal_url

        brand = customer_brand(contact.customer)
        portal_url = customer_portal_url(contact.customer, portal_url or "/portal/")
        where = f" at {portal_url}" if portal_url.startswith("http") else ""
        message_queue(
            channel="email", to=contact.email, kind="password", customer=contact.customer, contact=contact,
            subject=f"Your {brand.name} portal password",
            body=f"Hello {contact.name},\n\nYou can sign in to the {brand.name} customer portal of "
                 f"{contact.customer.name}{where} "
                 f"with:\n\nEmail: {contact.email}\nPassword: {password}\n\n"
                 "Keep this password to yourself; you can change it from the portal's sign-in page.\n",
        )
    return generated


def _reset_verification_on_change(contact):
    """A changed email or mobile is unverified again, unless staff tick the flag in the same save."""
    if contact.pk is None:
        return
    stored = Contact.objects.filter(pk=contact.pk).values("email", "email_verified", "mobile",
                                                          "mobile_verified").first()
    if stored is None:
        return
    if contact.email.lower() != stored["email"].lower() and stored["email_verified"] and contact.email_verified:
        contact.email_verified = False
    if contact.mobile != stored["mobile"] and stored["mobile_verified"] and contact.mobile_verified:
        contact.mobile_verified = False


@transaction.atomic
def contact_save(*, contact, password=None, auto_password=False, portal_url="") -> list[str]:
    """Validate and save a contact, then set its password if asked; returns warnings to show."""
    contact.full_clean(exclude=["password", "last_login"])
    _reset_verification_on_change(contact)
    if password is not None:
        # Validate before writing anything so a weak password leaves nothing half-saved.
        validate_password(password, user=contact)
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        raise ValidationError({"email": "Another contact already uses this email; each contact's email is "
                                        "its portal login."})
    if auto_password or password is not None:
        contact_password_set(contact=contact, password=None if auto_password else password, portal_url=portal_url)
    return contact_notes_warnings(contact)



@transaction.atomic
def contact_delete(*, contact) -> None:
    contact.delete()
