"""Settings → Users and roles: staff accounts, their roles, and what each role may do."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from connex.permissions import PermissionRequiredMixin
from connex.views import ObjectListView

from . import services
from .filtersets import StaffUserFilterSet
from .forms import RolePermissionsForm, StaffUserForm
from .models import StaffEvent
from .tables import StaffUserTable


class StaffUserListView(ObjectListView):
    permission_required = "auth.view_user"
    table_class = StaffUserTable
    filterset_class = StaffUserFilterSet
    template_name = "staff/user_list.html"
    title = "Users and roles"
    search_placeholder = "Username, name, email"

    def get_queryset(self):
        queryset = services.staff_users()
        query = self.request.GET.get("q", "").strip()
        if query:
            from django.db.models import Q

            queryset = queryset.filter(Q(username__icontains=query) | Q(email__icontains=query)
                                       | Q(first_name__icontains=query) | Q(last_name__icontains=query))
        return queryset

    def get_context_data(self, **kwargs):
        return super().get_context_data(roles=services.roles(), events=StaffEvent.objects.select_related(
            "actor", "user", "group")[:10], **kwargs)


class StaffUserFormView(PermissionRequiredMixin, View):
    """Create or change a staff member: name, email, active, roles; plus Reset password."""

    template_name = "staff/user_form.html"

    @classmethod
    def get_permission_required(cls, request, kwargs):
        return ("auth.change_user",) if kwargs.get("pk") else ("auth.add_user",)

    def get_user(self, pk):
        return get_object_or_404(get_user_model(), pk=pk, is_staff=True) if pk else get_user_model()(is_active=True)

    def get(self, request, pk=None):
        user = self.get_user(pk)
        return render(request, self.template_name, {"form": StaffUserForm(instance=user), "staff_user": user})

    def post(self, request, pk=None):
        user = self.get_user(pk)
        form = StaffUserForm(request.POST, instance=user)
        if form.is_valid():
            if user.pk == request.user.pk and not form.cleaned_data["is_active"]:
                form.add_error("is_active", "You cannot disable your own account.")
            else:
                services.staff_user_save(user=form.save(commit=False), groups=form.cleaned_data["groups"],
                                         actor=request.user)
                messages.success(request, f"Staff member “{user.username}” saved.")
                return redirect("staff:user_edit", pk=user.pk)
        return render(request, self.template_name, {"form": form, "staff_user": user}, status=422)


class StaffPasswordResetView(PermissionRequiredMixin, View):
    permission_required = "auth.change_user"

    def post(self, request, pk):
        user = get_object_or_404(get_user_model(), pk=pk, is_staff=True)
        password = services.staff_password_reset(user=user, actor=request.user)
        return render(request, "staff/user_form.html", {
            "form": StaffUserForm(instance=user), "staff_user": user, "new_password": password})


class RoleFormView(PermissionRequiredMixin, View):
    """A role's permissions, grouped by app, and its "only my customers" limit."""

    template_name = "staff/role_form.html"

    @classmethod
    def get_permission_required(cls, request, kwargs):
        return ("auth.view_group",) if request is None or request.method == "GET" else ("auth.change_group",)

    def get(self, request, pk):
        group = get_object_or_404(Group, pk=pk)
        return render(request, self.template_name, {"form": RolePermissionsForm(group=group), "group": group})

    def post(self, request, pk):
        group = get_object_or_404(Group, pk=pk)
        form = RolePermissionsForm(request.POST, group=group)
        if form.is_valid():
            services.group_permissions_set(group=group, permissions=form.cleaned_data["permissions"],
                                           only_my_customers=form.cleaned_data["only_my_customers"],
                                           actor=request.user, editable=form.fields["permissions"].queryset)
            messages.success(request, f"Role “{group.name}” saved.")
            return redirect("staff:role_edit", pk=group.pk)
        return render(request, self.template_name, {"form": form, "group": group}, status=422)
