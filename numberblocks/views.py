from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.views import View

from connex.permissions import PermissionRequiredMixin
from customers.selectors import customer_get_visible, visible_through_customer

from . import selectors, services
from .models import NumberBlock


def section_context(request, customer):
    return {"blocks": selectors.block_list_with_usage(customer=customer),
            "options_defined": services.number_range_options() is not None}


def render_section(request, customer, *, error="", notice=""):
    context = {"customer": customer, "section_context": section_context(request, customer),
               "error": error, "notice": notice}
    return render(request, "numberblocks/partials/section_blocks.html", context)


class BlockAssignView(PermissionRequiredMixin, View):
    """The card's "+": assign the next free block, answer with the refreshed section."""

    permission_required = "numberblocks.add_numberblock"

    def post(self, request, pk):
        customer = customer_get_visible(user=request.user, pk=pk)
        try:
            block = services.block_assign_next(customer=customer)
        except services.OptionsUndefined:
            return render_section(request, customer)
        except ValidationError as exc:
            return render_section(request, customer, error=" ".join(exc.messages))
        return render_section(request, customer, notice=f"Block {block} assigned.")


class BlockReleaseView(PermissionRequiredMixin, View):
    permission_required = "numberblocks.delete_numberblock"

    def post(self, request, pk):
        block = get_object_or_404(
            visible_through_customer(request.user, NumberBlock.objects.select_related("customer")), pk=pk)
        customer = block.customer
        try:
            services.block_release(block=block)
        except ValidationError as exc:
            return render_section(request, customer, error=" ".join(exc.messages))
        return render_section(request, customer, notice=f"Block {block} released.")
