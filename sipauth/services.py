from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from numberblocks.models import NumberBlock
from numberblocks.selectors import allowed_ranges

from .models import EXTENSION_MAX, IpAuthEntry, SipUser

# Where extension suggestions start for a customer without blocks.
FIRST_EXTENSION = 100


def _ranges_text(ranges):
    return ", ".join(f"{start}–{end}" for start, end in ranges)


def extension_validate(*, customer, extension: int, sip_user_id=None) -> None:
    """An extension is unique account-wide and, for a customer holding blocks, inside one of them."""
    clash = SipUser.objects.filter(extension=extension).exclude(pk=sip_user_id).select_related("customer").first()
    if clash:
        owner = "this customer" if clash.customer_id == customer.pk else f"customer “{clash.customer}”"
        raise ValidationError({"extension": f"Extension {extension} is already used by {owner}."})
    ranges = allowed_ranges(customer=customer)
    if ranges:
        if not any(start <= extension <= end for start, end in ranges):
            raise ValidationError({"extension": f"Extension {extension} is outside this customer's number "
                                                f"blocks; allowed: {_ranges_text(ranges)}."})
        return
    other = NumberBlock.objects.filter(start__lte=extension, end__gte=extension).select_related("customer").first()
    if other:
        raise ValidationError({"extension": f"Extension {extension} belongs to block {other} of customer "
                                            f"“{other.customer}”."})


def extension_next_free(*, customer) -> int | None:
    """The lowest extension the customer could take now: inside its blocks if it has any,
    otherwise outside every customer's blocks, from FIRST_EXTENSION up."""
    ranges = allowed_ranges(customer=customer)
    if ranges:
        for start, end in ranges:
            used = SipUser.objects.filter(extension__gte=start, extension__lte=end).order_by("extension")
            candidate = start
            for number in used.values_list("extension", flat=True).iterator():
                if number != candidate:
                    break
                candidate += 1
            if candidate <= end:
                return candidate
        return None
    blocks = list(NumberBlock.objects.filter(end__gte=FIRST_EXTENSION).order_by("start").values_list("start", "end"))
    used = SipUser.objects.filter(extension__gte=FIRST_EXTENSION).order_by("extension")
    used_numbers = iter(used.values_list("extension", flat=True).iterator())
    next_used = next(used_numbers, None)
    candidate, block_index = FIRST_EXTENSION, 0
    while candidate <= EXTENSION_MAX:
        while block_index < len(blocks) and blocks[block_index][1] < candidate:
            block_index += 1
        if block_index < len(blocks) and blocks[block_index][0] <= candidate:
            candidate = blocks[block_index][1] + 1
            continue
        while next_used is not None and next_used < candidate:
            next_used = next(used_numbers, None)
        if next_used == candidate:
            candidate += 1
            continue
        return candidate
    return None


@transaction.atomic
def sip_user_save(*, sip_user: SipUser, password: str | None = None) -> SipUser:
    """Validate and save a SIP user; a new password replaces the stored digest.

    A changed extension needs the password again, since the digest covers the username.
    """
    previous = SipUser.objects.filter(pk=sip_user.pk).values_list("extension", flat=True).first()
    if not password and sip_user.pk is None:
        raise ValidationError({"password": "Set a password (or generate one)."})
    if not password and previous != sip_user.extension:
        raise ValidationError({"password": "Changing the extension needs the password to be set again."})
    # Hold the customer's blocks so a release cannot slip in between the range check and the save.
    list(NumberBlock.objects.select_for_update().filter(customer=sip_user.customer_id).values_list("pk"))
    if sip_user.extension is not None:
        extension_validate(customer=sip_user.customer, extension=sip_user.extension, sip_user_id=sip_user.pk)
    if password:
        sip_user.set_password(password)
    sip_user.full_clean()
    try:
        with transaction.atomic():
            sip_user.save()
    except IntegrityError:
        raise ValidationError({"extension": f"Extension {sip_user.extension} is already in use."}) from None
    return sip_user


@transaction.atomic
def sip_user_delete(*, sip_user: SipUser) -> None:
    sip_user.delete()


@transaction.atomic
def ip_entry_save(*, entry: IpAuthEntry) -> IpAuthEntry:
    entry.full_clean()
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        raise ValidationError("This customer already has an entry with this address, port, protocol and "
                              "tech prefix.") from None
    return entry


@transaction.atomic
def ip_entry_delete(*, entry: IpAuthEntry) -> None:
    entry.delete()


def extensions_in_block(customer, start, end):
    """numberblocks usage provider: the customer's SIP users inside a block."""
    return [(number, "SIP user") for number in SipUser.objects.filter(
        customer=customer, extension__gte=start, extension__lte=end).values_list("extension", flat=True)]
