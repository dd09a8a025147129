"""Default-deny access control: every view says what it needs, or nobody may use it.

A panel view declares the Django permissions it needs; `PermissionMiddleware` checks them
before the view runs, so a view that declares nothing is refused (403), never open.

    class InvoiceListView(PermissionRequiredMixin, ObjectListView):
        permission_required = "invoicing.view_invoice"

    @permission_required("invoicing.void_invoice")
    def invoice_void(request, pk): ...

    class CustomerFormView(PermissionRequiredMixin, View):
        # the permission may depend on the URL: adding or changing
        @classmethod
        def get_permission_required(cls, request, kwargs):
            return ("customers.change_customer",) if kwargs.get("pk") else ("customers.add_customer",)

`permission_required = SIGNED_IN` opens a page to every signed-in staff member (their own
preferences). Pages outside the panel say so: `@portal_view` (a contact's own sign-in, checked by
the portal), `@public_view` (sign-in page, health check). Django REST framework views guard
themselves through their permission classes, and the Django admin through its own site.
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

SIGNED_IN = ()  # declared, and no permission beyond being signed-in staff

PANEL, PORTAL, PUBLIC, API, ADMIN, UNDECLARED = "panel", "portal", "public", "api", "admin", "undeclared"


def _as_tuple(permissions):
    if permissions is None:
        return None
    if isinstance(permissions, str):
        return (permissions,)
    return tuple(permissions)


class PermissionRequiredMixin:
    """Base of every panel class-based view: `permission_required` is what a user needs.

    Left as None, the view is refused to everyone: the declaration cannot be forgotten quietly.
    """

    permission_required = None
    access = PANEL

    @classmethod
    def get_permission_required(cls, request, kwargs):
        return _as_tuple(cls.permission_required)


def permission_required(*permissions):
    """Declares the permissions a function-based panel view needs (all of them)."""

    def decorate(view):
        view.permission_required = tuple(permissions)
        view.access = PANEL
        return view

    return decorate


def portal_view(view):
    """Marks a view (function or class) of the customer portal: it checks the contact itself."""
    view.access = PORTAL
    return view


def public_view(view):
    """Marks a view anyone may open (sign-in page, health check)."""
    view.access = PUBLIC
    return view


def view_access(callback, request=None, kwargs=None):
    """(access kind, permissions) declared by a resolved view callable; what the middleware enforces."""
    if hasattr(callback, "cls"):
        return API, None  # Django REST framework: its permission classes decide
    declared_on = getattr(callback, "view_class", None)
    if getattr(callback, "admin_site", None) is not None or getattr(
            getattr(callback, "__self__", None), "admin_site", None) is not None:
        return ADMIN, None
    target = declared_on or callback
    access = getattr(callback, "access", None) or getattr(target, "access", None)
    if access in (PORTAL, PUBLIC):
        return access, None
    if declared_on is not None and hasattr(declared_on, "get_permission_required"):
        permissions = declared_on.get_permission_required(request, kwargs or {})
    else:
        permissions = _as_tuple(getattr(callback, "permission_required", None))
    if permissions is None:
        return UNDECLARED, None
    return PANEL, permissions


def is_admin_request(request):
    match = getattr(request, "resolver_match", None)
    return match is not None and "admin" in match.namespaces


class PermissionMiddleware:
    """Staff sign-in for panel pages, then the view's declared permissions (403 otherwise).

    Runs once the URL is resolved, so the decision is about the view, not about path prefixes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if is_admin_request(request):
            return None
        access, permissions = view_access(view_func, request, view_kwargs)
        if access in (PORTAL, PUBLIC, API, ADMIN):
            return None
        user = request.user
        if not (user.is_authenticated and user.is_staff and user.is_active):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if access == UNDECLARED:
            raise PermissionDenied("This page declares no permission, so it is closed to everyone.")
        if permissions and not user.has_perms(permissions):
            raise PermissionDenied("You do not have permission to do this.")
        return None
