import django_filters
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


class StaffUserFilterSet(django_filters.FilterSet):
    groups = django_filters.ModelChoiceFilter(queryset=Group.objects.order_by("name"), label="Role")
    is_active = django_filters.BooleanFilter(label="Active")

    class Meta:
        model = get_user_model()
        fields = ["groups", "is_active"]
