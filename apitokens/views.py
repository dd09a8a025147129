from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from connex.forms import add_validation_errors
from connex.permissions import PermissionRequiredMixin

from . import selectors, services
from .forms import ApiTokenForm
from .tables import ApiTokenTable


class ApiTokenListView(PermissionRequiredMixin, View):
    permission_required = "apitokens.view_apitoken"

    def get(self, request):
        tokens = selectors.api_token_list(user=request.user)
        table = ApiTokenTable(tokens, request=request, exclude=() if selectors.may_manage_all(request.user)
                              else ("user",))
        return render(request, "apitokens/token_list.html", {"table": table})


class ApiTokenCreateView(PermissionRequiredMixin, View):
    permission_required = "apitokens.add_apitoken"

    def get(self, request):
        form = ApiTokenForm(for_anyone=selectors.may_manage_all(request.user))
        return render(request, "apitokens/token_form.html", {"form": form})

    def post(self, request):
        form = ApiTokenForm(request.POST, for_anyone=selectors.may_manage_all(request.user))
        if form.is_valid():
            data = form.cleaned_data
            try:
                token, key = services.api_token_create(
                    user=data.get("user") or request.user, name=data["name"], scopes=data["scopes"],
                    expires_at=data["expires_at"], created_by=request.user)
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                # The key is shown on this response only; it is stored nowhere in clear.
                return render(request, "apitokens/token_created.html", {"token": token, "key": key})
        return render(request, "apitokens/token_form.html", {"form": form}, status=422)


class ApiTokenRevokeView(PermissionRequiredMixin, View):
    permission_required = "apitokens.change_apitoken"

    def post(self, request, pk):
        token = get_object_or_404(selectors.api_token_list(user=request.user), pk=pk)
        services.api_token_revoke(api_token=token)
        messages.success(request, f"Token “{token.name}” revoked.")
        return redirect("apitokens:token_list")
