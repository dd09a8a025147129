import pghistory
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import IntegerRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q, Value

from connex.models import SingleRowModel, TimeStampedModel


class Int4Range(Func):
    function = "int4range"
    output_field = IntegerRangeField()


@pghistory.track(
    pghistory.InsertEvent("numberblock.assigned"),
    pghistory.UpdateEvent("numberblock.updated"),
    pghistory.DeleteEvent("numberblock.released"),
    exclude=["updated"],
)
class NumberBlock(TimeStampedModel):
    """A range of internal numbers (extensions) held by one customer; ranges never overlap."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="number_blocks")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField(help_text="Last number of the block, inclusive.")

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="numberblock_end_after_start"),
            # The database, not Python, guarantees two blocks never share a number, even when
            # two assignments race.
            ExclusionConstraint(
                name="numberblock_no_overlap",
                expressions=[(Int4Range(F("start"), F("end"), Value("[]")), RangeOperators.OVERLAPS)],
                violation_error_message="This block overlaps a block already assigned.",
            ),
        ]

    def __str__(self):
        return f"{self.start}–{self.end}"

    @property
    def size(self):
        return self.end - self.start + 1

    def __contains__(self, number):
        return self.start <= number <= self.end


@pghistory.track(
    pghistory.InsertEvent("number_range.created"),
    pghistory.UpdateEvent("number_range.updated"),
    exclude=["updated"],
)
class NumberRangeOptions(SingleRowModel):
    """Settings → Number blocks: where internal numbers start and how many a block holds."""

    number_range_start = models.PositiveIntegerField(null=True, blank=True)
    block_size = models.PositiveIntegerField(null=True, blank=True)

    class Meta(SingleRowModel.Meta):
        verbose_name = "number range"
        verbose_name_plural = "number range"

    def __str__(self):
        return "Number range"
