from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.views import View

from customers.models import Customer

from . import selectors, services
from .models import NumberBlock


def section_context(request, customer):
    return {"blocks": selectors.block_list_with_usage(customer=customer),
            "options_defined": services.number_range_options() is not None}


def render_section(request, customer, *, error="", notice=""):
    context = {"customer": customer, "section_context": section_context(request, customer),
               "error": error, "notice": notice}
    return render(request, "numberblocks/partials/section_blocks.html", context)


class BlockAssignView(View):
    """The card's "+": assign the next free block, answer with the refreshed section."""

    def post(self, request, pk):
        customer = get_object_or_404(Customer, pk=pk)
        try:
            block = services.block_assign_next(customer=customer)
        except services.OptionsUndefined:
            return render_section(request, customer)
        except ValidationError as exc:
            return render_section(request, customer, error=" ".join(exc.messages))
        return render_section(request, customer, notice=f"Block {block} assigned.")


class BlockReleaseView(View):
    def post(self, request, pk):
        block = get_object_or_404(NumberBlock.objects.select_related("customer"), pk=pk)
        customer = block.customer
        try:
            services.block_release(block=block)
        except ValidationError as exc:
            return render_section(request, customer, error=" ".join(exc.messages))
        return render_section(request, customer, notice=f"Block {block} released.")
