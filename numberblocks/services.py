from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction

from .blocks import first_free_block
from .models import NumberBlock, NumberRangeOptions
from .usage import numbers_in_use

# Each failed attempt means another writer committed a block in the meantime, and the next
# attempt sees it; the bound only stops a pathological loop.
MAX_ATTEMPTS = 20
# Transaction-scoped advisory lock taken by every assignment (any constant unique to this use).
ASSIGN_LOCK_KEY = 0x6E626C6B  # "nblk"


class OptionsUndefined(ValidationError):
    pass


def number_range_options() -> tuple[int, int] | None:
    """(range start, block size) from Settings → Number blocks, or None while either is unset."""
    options = NumberRangeOptions.get()
    if options.number_range_start is None or not options.block_size:
        return None
    return options.number_range_start, options.block_size


def _is_retryable(exc) -> bool:
    sqlstate = getattr(getattr(exc, "__cause__", None), "sqlstate", None)
    return "numberblock_no_overlap" in str(exc) or sqlstate in ("40P01", "40001")


@transaction.atomic
def block_assign_next(*, customer) -> NumberBlock:
    """Give the customer the lowest free aligned block under the current options.

    Assignments queue on an advisory lock held to the end of the transaction, so each one sees
    the blocks committed before it: without it, concurrent inserts of the same candidate keep
    colliding (and can deadlock on the exclusion check). The exclusion constraint stays the
    guarantee against any other writer; losing to one means retrying with fresh data.
    """
    options = number_range_options()
    if options is None:
        raise OptionsUndefined("Set Number Range Start and Block Size in Settings → Number blocks first.")
    range_start, block_size = options
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ASSIGN_LOCK_KEY])
    for _attempt in range(MAX_ATTEMPTS):
        taken = NumberBlock.objects.filter(end__gte=range_start).values_list("start", "end")
        block = first_free_block(range_start, block_size, taken)
        if block is None:
            raise ValidationError("The number range is exhausted: no free block is left.")
        try:
            with transaction.atomic():
                return NumberBlock.objects.create(customer=customer, start=block[0], end=block[1])
        except (IntegrityError, OperationalError) as exc:
            if not _is_retryable(exc):
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
