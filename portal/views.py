from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import auth, services
from .access import portal_login_required
from .forms import PortalLoginForm


def login(request):
    form = PortalLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        contact = services.contact_authenticate(email=form.cleaned_data["email"],
                                                password=form.cleaned_data["password"])
        if contact is None:
            form.add_error(None, "Email or password is incorrect.")
        else:
            auth.contact_login(request, contact)
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}) or not target.startswith("/portal/"):
                target = "/portal/"
            return redirect(target)
    return render(request, "portal/login.html", {"form": form})


@require_POST
def logout(request):
    auth.contact_logout(request)
    return redirect("portal:login")


@portal_login_required
def dashboard(request):
    contact = request.portal_contact
    return render(request, "portal/dashboard.html", {"contact": contact, "customer": contact.customer})
