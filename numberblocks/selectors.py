from .models import NumberBlock
from .usage import numbers_in_use


def block_list(*, customer):
    return NumberBlock.objects.filter(customer=customer).order_by("start")


def block_list_with_usage(*, customer) -> list[dict]:
    return [{"block": block, "in_use": numbers_in_use(customer, block.start, block.end)}
            for block in block_list(customer=customer)]


def allowed_ranges(*, customer) -> list[tuple[int, int]]:
    return list(block_list(customer=customer).values_list("start", "end"))
