from contacts.models import Contact


def contact_authenticate(*, email, password):
    """The contact with this email and password, or None. Emails match case-insensitively."""
    contact = Contact.objects.select_related("customer").filter(email__iexact=email.strip()).first()
    if contact is None or not contact.check_password(password):
        return None
    return contact
