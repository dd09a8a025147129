"""Signals about customer rows written without a model save (SQL, QuerySet.update), which send no
post_save: caches of accounts (routing.cache) listen to them."""

from django.dispatch import Signal

# customer_ids: the customers whose rows changed, or None when any may have.
customers_changed = Signal()
