from django.db import models
from django.db.models import Q


class ContactQuerySet(models.QuerySet):
    def search(self, text: str):
        """Matches name, email, phone and mobile (digits typed with or without spaces)."""
        text = (text or "").strip()
        if not text:
            return self
        digits = "".join(c for c in text if c.isdigit())
        matches = Q(name__icontains=text) | Q(email__icontains=text)
        if digits:
            matches |= Q(phone__contains=digits) | Q(mobile__contains=digits)
        return self.filter(matches)
