from connex.generic import CardSection, CardSectionActionView, CardSectionDeleteView
from connex.views import OptionsFormView

from . import selectors, services
from .forms import NumberRangeOptionsForm
from .models import NumberBlock
from .tables import NumberBlockTable


def section_context(request, customer):
    return {"block_table": NumberBlockTable(selectors.block_list_with_usage(customer=customer)),
            "options_defined": services.number_range_options() is not None}


BLOCKS = CardSection("section-number-blocks", "numberblocks/partials/section_blocks.html", section_context)


class BlockAssignView(CardSectionActionView):
    """The card's "+": assign the next free block, answer with the refreshed section."""

    permission_required = "numberblocks.add_numberblock"
    section = BLOCKS

    def act(self, customer):
        try:
            block = services.block_assign_next(customer=customer)
        except services.OptionsUndefined:
            return ""  # the section explains where to set the range
        return f"Block {block} assigned."


class BlockReleaseView(CardSectionDeleteView):
    model = NumberBlock
    section = BLOCKS

    def delete(self, block):
        services.block_release(block=block)
        return f"Block {block} released."


class NumberRangeOptionsView(OptionsFormView):
    """Settings → Number blocks."""

    permission_required = "numberblocks.change_numberrangeoptions"
    form_class = NumberRangeOptionsForm
    title = "Number blocks"
