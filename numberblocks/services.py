from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from connex.models import AccountOptions

from .blocks import first_free_block
from .models import NumberBlock
from .usage import numbers_in_use

# Each failed attempt means another assignment committed a block in the meantime, and the next
# attempt sees it; the bound only stops a pathological loop.
MAX_ATTEMPTS = 100


class OptionsUndefined(ValidationError):
    pass


def number_range_options() -> tuple[int, int] | None:
    """(range start, block size) from Settings → Options, or None while either is unset."""
    options = AccountOptions.get()
    if options.number_range_start is None or not options.block_size:
        return None
    return options.number_range_start, options.block_size


def block_assign_next(*, customer) -> NumberBlock:
    """Give the customer the lowest free aligned block under the current options.

    Concurrent callers may pick the same candidate; the exclusion constraint lets only one
    insert succeed and the others retry against the blocks committed since.
    """
    options = number_range_options()
    if options is None:
        raise OptionsUndefined("Set Number Range Start and Block Size in Settings → Options first.")
    range_start, block_size = options
    for _attempt in range(MAX_ATTEMPTS):
        taken = NumberBlock.objects.filter(end__gte=range_start).values_list("start", "end")
        block = first_free_block(range_start, block_size, taken)
        if block is None:
            raise ValidationError("The number range is exhausted: no free block is left.")
        try:
            with transaction.atomic():
                return NumberBlock.objects.create(customer=customer, start=block[0], end=block[1])
        except IntegrityError as exc:
            if "numberblock_no_overlap" not in str(exc):
                raise
    raise ValidationError("Could not assign a block: too many simultaneous assignments, try again.")


@transaction.atomic
def block_release(*, block: NumberBlock) -> None:
    """Release a block, refused while any number inside it is in use (the error lists them)."""
    block = NumberBlock.objects.select_for_update().get(pk=block.pk)
    used = numbers_in_use(block.customer, block.start, block.end)
    if used:
        listed = ", ".join(f"{number} ({what})" for number, what in used[:20])
        more = f" and {len(used) - 20} more" if len(used) > 20 else ""
        raise ValidationError(f"Block {block} cannot be released while these numbers are in use: {listed}{more}.")
    block.delete()
