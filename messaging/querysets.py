from django.db import models
from django.db.models import Q


class MessageQuerySet(models.QuerySet):
    def search(self, query):
        query = (query or "").strip()
        if not query:
            return self
        return self.filter(Q(to__icontains=query) | Q(subject__icontains=query)
                           | Q(customer__name__icontains=query) | Q(contact__name__icontains=query))


class BroadcastQuerySet(models.QuerySet):
    def search(self, query):
        query = (query or "").strip()
        return self.filter(Q(subject__icontains=query) | Q(body__icontains=query)) if query else self
