"""Block arithmetic: where aligned blocks fall and which one is the lowest free."""

INT4_MAX = 2**31 - 1


def aligned_block(range_start: int, block_size: int, index: int) -> tuple[int, int]:
    """The index-th block (0-based) of a range: start 1000, size 1000 -> (1000, 1999), (2000, 2999)…"""
    first = range_start + index * block_size
    return first, first + block_size - 1


def first_free_block(range_start: int, block_size: int, taken) -> tuple[int, int] | None:
    """The lowest aligned block overlapping none of `taken` ((start, end) pairs, inclusive, any order).

    Taken ranges need not be aligned to the current options (options may have changed since they
    were assigned); an aligned candidate is skipped as soon as it touches any of them.
    None when the range is exhausted.
    """
    if range_start < 0 or block_size < 1:
        raise ValueError("Range start must be >= 0 and block size >= 1.")
    index = 0
    for start, end in sorted(taken):
        if end < range_start:
            continue
        candidate_start, candidate_end = aligned_block(range_start, block_size, index)
        if start > candidate_end:
            break
        if end >= candidate_start:
            # Jump to the first aligned block entirely after this taken range.
            index = max(index, (end + 1 - range_start + block_size - 1) // block_size)
    block = aligned_block(range_start, block_size, index)
    return block if block[1] <= INT4_MAX else None
