"""Demo number blocks, SIP users and IP entries for `manage.py seed_demo` (idempotent)."""

from django.db import transaction

from connex.passwords import password_generate
from customers.models import Customer
from numberblocks.models import NumberRangeOptions
from numberblocks.services import block_assign_next

from .models import IpAuthEntry, SipUser


@transaction.atomic
def load_demo_auth(stdout):
    options = NumberRangeOptions.get()
    if options.number_range_start is None or not options.block_size:
        options.number_range_start, options.block_size = 1000, 1000
        options.save(update_fields=["number_range_start", "block_size", "updated"])
    customers = list(Customer.objects.order_by("pk")[:12])
    for index, customer in enumerate(customers):
        if index % 3 == 2 or customer.sip_users.exists() or customer.ip_auth_entries.exists():
            continue  # every third customer keeps no block, authenticating by IP only
        block = customer.number_blocks.first() or block_assign_next(customer=customer)
        for offset in range(1 + index % 4):
            sip_user = SipUser(customer=customer, extension=block.start + offset, channels=2 + offset,
                               flow_speed=1)
            sip_user.set_password(password_generate())
            sip_user.save()
    for index, customer in enumerate(customers):
        if customer.ip_auth_entries.exists():
            continue
        IpAuthEntry.objects.create(customer=customer, address=f"198.51.100.{10 + index}", channels=0,
                                   flow_speed=0, tech_prefix=f"{100 + index}" if index % 2 else "",
                                   codecs=["PCMA", "PCMU", "G729"][: 1 + index % 3])
    stdout.write(f"Number blocks, SIP users and IP entries for {len(customers)} customers.\n")
