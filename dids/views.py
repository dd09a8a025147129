from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from connex.forms import add_validation_errors
from connex.permissions import PermissionRequiredMixin, permission_required
from connex.views import ObjectListView

from . import selectors, services
from .filtersets import DidFilterSet
from .forms import DidAssignForm, DidForm, DidUploadForm
from .models import Did
from .tables import DidTable


def did_tab_context(request, customer):
    return {"dids": selectors.did_list_for_customer(customer=customer)}


class DidListView(ObjectListView):
    """Management → DIDs: the numbers in stock and assigned."""

    permission_required = "dids.view_did"
    table_class = DidTable
    filterset_class = DidFilterSet
    template_name = "dids/did_list.html"
    title = "DIDs"
    search_placeholder = "Number or customer"

    def get_queryset(self):
        queryset = selectors.did_list(user=self.request.user)
        query = self.request.GET.get("q", "").strip()
        if query:
            from django.db.models import Q

            queryset = queryset.filter(Q(number__startswith=query.lstrip("+")) | Q(customer__name__icontains=query))
        return queryset


def _did_visible(user, pk):
    did = selectors.did_list(user=user).filter(pk=pk).first()
    if did is None:
        raise Http404("No such DID.")
    return did


class DidFormView(PermissionRequiredMixin, View):
    template_name = "dids/did_form.html"

    @classmethod
    def get_permission_required(cls, request, kwargs):
        return ("dids.change_did",) if kwargs.get("pk") else ("dids.add_did",)

    def render_form(self, form, did, status=200):
        return render(self.request, self.template_name, {"form": form, "did": did if did.pk else None},
                      status=status)

    def get(self, request, pk=None):
        did = _did_visible(request.user, pk) if pk else Did()
        return self.render_form(DidForm(instance=did, user=request.user), did)

    def post(self, request, pk=None):
        did = _did_visible(request.user, pk) if pk else Did()
        form = DidForm(request.POST, instance=did, user=request.user)
        if form.is_valid():
            try:
                did = services.did_save(did=form.save(commit=False))
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                messages.success(request, f"DID {did} saved.")
                return redirect("dids:did_list")
        return self.render_form(form, did, status=422)


class DidDeleteView(PermissionRequiredMixin, View):
    permission_required = "dids.delete_did"

    def post(self, request, pk):
        did = _did_visible(request.user, pk)
        try:
            services.did_delete(did=did)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("dids:did_edit", pk=did.pk)
        messages.success(request, f"DID {did} deleted.")
        return redirect("dids:did_list")


class DidUploadView(PermissionRequiredMixin, View):
    """Bulk upload: all or nothing; every bad row is listed with its row number."""

    permission_required = "dids.add_did"
    template_name = "dids/did_upload.html"

    def get(self, request):
        return render(request, self.template_name, {"form": DidUploadForm(), "columns": services.UPLOAD_COLUMNS})

    def post(self, request):
        form = DidUploadForm(request.POST, request.FILES)
        context = {"form": form, "columns": services.UPLOAD_COLUMNS}
        if form.is_valid():
            try:
                result = services.did_upload(data=form.cleaned_data["file"].read(), user=request.user)
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                if not result.errors:
                    messages.success(request, f"{result.created} number{'s' if result.created != 1 else ''} added.")
                    return redirect("dids:did_list")
                context["row_errors"] = result.errors[:500]
                context["error_count"] = len(result.errors)
        return render(request, self.template_name, context, status=422)


@permission_required("dids.add_did")
def did_upload_template(request):
    response = HttpResponse(services.did_upload_template(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="dids.csv"'
    return response


def _selected(request):
    pks = [pk for pk in request.POST.getlist("pk") if pk.isdigit()]
    return list(selectors.did_list(user=request.user).filter(pk__in=pks))


class DidBulkAssignView(PermissionRequiredMixin, View):
    """Assign the selected numbers to a customer: a form first, then all or none."""

    permission_required = "dids.change_did"
    template_name = "dids/did_assign.html"

    def post(self, request):
        dids = _selected(request)
        if not dids:
            messages.warning(request, "Select at least one number.")
            return redirect("dids:did_list")
        form = DidAssignForm(request.POST if request.POST.get("confirm") == "yes" else None, user=request.user)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                count = services.did_assign(
                    dids=dids, customer=data["customer"], customer_card=data["customer_card"],
                    destination_type=Did.DestinationType.URI if data["destination_uri"] else "",
                    destination_uri=data["destination_uri"])
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                messages.success(request, f"{count} number{'s' if count != 1 else ''} assigned to "
                                          f"{data['customer']}.")
                return redirect("dids:did_list")
        return render(request, self.template_name, {"form": form, "dids": dids},
                      status=422 if form.is_bound else 200)


class DidBulkReleaseView(PermissionRequiredMixin, View):
    """Release the selected numbers back to stock."""

    permission_required = "dids.change_did"

    def post(self, request):
        dids = _selected(request)
        if not dids:
            messages.warning(request, "Select at least one number.")
        else:
            count = services.did_release(dids=dids)
            messages.success(request, f"{count} number{'s' if count != 1 else ''} released to stock.")
        back = request.POST.get("next", "")
        if back.startswith("/") and not back.startswith("//"):
            return redirect(back)
        return redirect(reverse("dids:did_list"))
