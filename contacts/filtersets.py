import django_filters
from django import forms

from customers.models import Customer

from .models import Contact

YES_NO = forms.Select(attrs={"class": "form-select form-select-sm"}, choices=[("", "Any"), ("true", "Yes"),
                                                                             ("false", "No")])


class ContactFilterSet(django_filters.FilterSet):
    customer = django_filters.ModelMultipleChoiceFilter(
        queryset=Customer.objects.order_by("name"),
        widget=forms.SelectMultiple(attrs={"class": "form-select form-select-sm"}))
    contact_type = django_filters.MultipleChoiceFilter(label="Type", choices=Contact.Type.choices,
                                                       widget=forms.CheckboxSelectMultiple)
    email_verified = django_filters.BooleanFilter(widget=YES_NO)
    mobile_verified = django_filters.BooleanFilter(widget=YES_NO)

    class Meta:
        model = Contact
        fields = ["customer", "contact_type", "email_verified", "mobile_verified"]
