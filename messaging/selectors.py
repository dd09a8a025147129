from .models import Message


def message_list(*, customer=None):
    queryset = Message.objects.select_related("customer", "contact", "broadcast")
    return queryset.filter(customer=customer) if customer is not None else queryset


def customer_messages_context(request, customer):
    messages = message_list(customer=customer).order_by("-created")
    return {"customer_messages": list(messages[:50]), "customer_message_count": messages.count()}
