"""Guards for portal views: who is signed in, and which sections their customer may see."""

from functools import wraps

from django.http import Http404
from django.shortcuts import redirect

from connex.permissions import portal_view


def portal_login_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.portal_contact:
            return redirect(f"/portal/login/?next={request.get_full_path()}")
        return view(request, *args, **kwargs)

    return portal_view(wrapper)


def portal_section_required(section):
    """The section must be shown by the customer's Portal Access; hidden sections answer 404."""

    def decorator(view):
        @wraps(view)
        @portal_login_required
        def wrapper(request, *args, **kwargs):
            from .branding import section_offered

            if not section_offered(request, section):
                raise Http404("This section is not available.")
            return view(request, *args, **kwargs)

        return portal_view(wrapper)

    return decorator


def portal_customer(request):
    """The customer every portal query must be scoped to."""
    return request.portal_contact.customer
