"""Filter pieces shared by every list: date-times PostgreSQL can always compare."""

from datetime import timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError

# Widget attrs of the list pages' filter forms.
SELECT = {"class": "form-select form-select-sm"}
DATE = {"class": "form-control form-control-sm", "type": "date"}

# PostgreSQL refuses UTC offsets beyond ±15:59 ("time zone displacement out of range").
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)


class SafeIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time whose offset the database accepts; anything else is a field error."""

    default_error_messages = {
        "offset": "The UTC offset must lie between -15:59 and +15:59.",
    }

    def to_python(self, value):
        try:
            parsed = super().to_python(value)
        except (OverflowError, ValueError):
            raise ValidationError(forms.DateTimeField.default_error_messages["invalid"], code="invalid")
        if parsed is not None and parsed.utcoffset() is not None and abs(parsed.utcoffset()) > MAX_UTC_OFFSET:
            raise ValidationError(self.error_messages["offset"], code="offset")
        return parsed


class SafeIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = SafeIsoDateTimeField


def updated_since_filter():
    return SafeIsoDateTimeFilter(field_name="updated", lookup_expr="gte",
                                 label="Changed at or after (ISO 8601 date-time)")


def date_range_filter(label, *, widget=django_filters.widgets.RangeWidget, **kwargs):
    """A from–to date filter as the list pages show it (two date inputs). `widget` names the query's
    parameters: RangeWidget <name>_min/_max, DateRangeWidget <name>_after/_before."""
    return django_filters.DateFromToRangeFilter(label=label, widget=widget(attrs=DATE), **kwargs)
