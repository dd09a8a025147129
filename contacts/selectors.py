def contact_list_for_customer(*, customer):
    return customer.contacts.order_by("name")
