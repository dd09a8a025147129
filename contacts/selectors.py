from .models import Contact


def contact_list(*, filters=None, search=""):
    from .filtersets import ContactFilterSet

    queryset = Contact.objects.select_related("customer").search(search)
    if filters is not None:
        queryset = ContactFilterSet(filters, queryset=queryset).qs
    return queryset


def contact_list_for_customer(*, customer):
    return customer.contacts.order_by("name")
