"""Demo PayPal data for `manage.py seed_demo`: settings, and IPNs of each outcome for the first customers."""

from decimal import Decimal
from urllib.parse import urlencode


def load_demo_paypal(stdout):
    from customers.models import Customer

    from .models import PayPalIpn, PayPalOptions
    from .services import ipn_apply

    options = PayPalOptions.get()
    options.enabled, options.receiver_email = True, options.receiver_email or "payments@connex.example"
    options.exchange_rates = options.exchange_rates or "EUR USD 1.08\nGBP USD 1.27\nUSD EUR 0.92\nUSD GBP 0.79"
    options.save()
    if PayPalIpn.objects.exists():
        stdout.write("PayPal: demo IPNs already present.")
        return
    customers = list(Customer.objects.order_by("pk")[:3])
    made = 0
    for number, customer in enumerate(customers, 1):
        if not customer.paypal_email:
            customer.paypal_email = f"accounts{number}@customer{number}.example"
            Customer.objects.filter(pk=customer.pk).update(paypal_email=customer.paypal_email)
        amount = Decimal(max(customer.minimum_payment, Decimal("50"))).quantize(Decimal("0.01"))
        samples = [
            ("Completed", f"DEMO{number}A", "", options.receiver_email, "VERIFIED", amount),
            ("Completed", f"DEMO{number}A", "", options.receiver_email, "VERIFIED", amount),  # resent by PayPal
            ("Completed", f"DEMO{number}B", "", "someone-else@example.com", "VERIFIED", amount),
            ("Completed", f"DEMO{number}C", "", options.receiver_email, "INVALID", amount),
        ]
        if number == 1:
            samples.append(("Refunded", "DEMO1R", "DEMO1A", options.receiver_email, "VERIFIED", -Decimal("10.00")))
        for status, txn, parent, receiver, verification, gross in samples:
            fields = {"txn_type": "web_accept" if gross > 0 else "", "payment_status": status, "txn_id": txn,
                      "parent_txn_id": parent, "receiver_email": receiver, "payer_email": customer.paypal_email,
                      "mc_gross": f"{gross:.2f}", "mc_currency": customer.currency, "charset": "utf-8"}
            body = urlencode({k: v for k, v in fields.items() if v}).encode()
            ipn = PayPalIpn.objects.create(
                body=body, fields=fields, txn_id=txn, parent_txn_id=parent, txn_type=fields["txn_type"],
                payment_status=status, receiver_email=receiver, payer_email=customer.paypal_email, gross=gross,
                currency=customer.currency, verification=verification)
            ipn_apply(ipn_id=ipn.pk)
            made += 1
    stdout.write(f"PayPal: settings and {made} demo IPNs.")
