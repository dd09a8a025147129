from .models import PayPalIpn


def ipn_list(*, user):
    """IPNs staff may see: those of customers they may see, and (with view_all) unmatched ones."""
    from django.db.models import Q

    from customers.selectors import customers_visible_to

    queryset = PayPalIpn.objects.select_related("customer")
    if user.has_perm("customers.view_all_customers"):
        return queryset
    return queryset.filter(Q(customer__in=customers_visible_to(user)))
