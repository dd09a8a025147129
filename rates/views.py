from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django_tables2 import RequestConfig

from connex.permissions import PermissionRequiredMixin
from connex.views import ObjectListView

from . import selectors, services
from .decks import rate_deck_rows, revision_live
from .filtersets import RateCardFilterSet, RateRowFilterSet
from .forms import DeckUploadForm, GenerateForm, LookupForm, MarkupRuleFormSet, RateCardForm
from .models import RateCard, RateDeckUpload, RateRevision
from .tables import RateCardTable, RateRowTable


class RateCardListView(ObjectListView):
    permission_required = "rates.view_ratecard"
    queryset = RateCard.objects.all()
    table_class = RateCardTable
    filterset_class = RateCardFilterSet
    template_name = "rates/card_list.html"
    title = "Rate cards"
    search_placeholder = "Name"

    def get_queryset(self):
        query = self.request.GET.get("q", "").strip()
        cards = super(ObjectListView, self).get_queryset()
        return cards.filter(name__icontains=query) if query else cards


class RateCardFormView(PermissionRequiredMixin, View):
    template_name = "rates/card_form.html"

    @classmethod
    def get_permission_required(cls, request, kwargs):
        return ("rates.change_ratecard",) if kwargs.get("pk") else ("rates.add_ratecard",)

    def get(self, request, pk=None):
        card = get_object_or_404(RateCard, pk=pk) if pk else None
        return render(request, self.template_name, {"form": RateCardForm(instance=card), "card": card})

    def post(self, request, pk=None):
        card = get_object_or_404(RateCard, pk=pk) if pk else None
        form = RateCardForm(request.POST, instance=card)
        if form.is_valid():
            try:
                card = services.rate_card_save(card=form.save(commit=False))
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, f"{card} saved.")
                return redirect(card)
        return render(request, self.template_name, {"form": form, "card": card}, status=422)


class RateCardDetailView(PermissionRequiredMixin, View):
    """A card: its revisions, the rows of one (searchable), which row prices a number, uploads."""

    permission_required = "rates.view_ratecard"

    def get(self, request, pk):
        card = get_object_or_404(RateCard, pk=pk)
        revisions = list(card.revisions.all()[:50])
        live = revision_live(card.pk)
        shown = live
        if revision_id := request.GET.get("revision"):
            shown = get_object_or_404(RateRevision, pk=revision_id, card=card)
        rows = RateRowFilterSet(request.GET, queryset=selectors.rate_row_list(revision=shown)) if shown else None
        table = None
        if rows is not None:
            table = RateRowTable(rows.qs)
            RequestConfig(request, paginate={"per_page": 50}).configure(table)
        lookup_form, match = LookupForm(request.GET if "number" in request.GET else None), None
        if lookup_form.is_bound and lookup_form.is_valid():
            match = selectors.rate_lookup(card_id=card.pk, number=lookup_form.cleaned_data["number"])
        context = {"card": card, "revisions": revisions, "live": live, "shown": shown, "rows_filter": rows,
                   "table": table, "lookup_form": lookup_form, "match": match,
                   "upload_form": DeckUploadForm(), "uploads": card.uploads.select_related("uploaded_by")[:5]}
        if request.htmx and request.htmx.target == "card-rows":
            return render(request, "rates/partials/card_rows.html", context)
        return render(request, "rates/card_detail.html", context)


class RevisionDownloadView(PermissionRequiredMixin, View):
    permission_required = "rates.view_ratecard"

    def get(self, request, pk):
        revision = get_object_or_404(RateRevision.objects.select_related("card"), pk=pk)
        response = StreamingHttpResponse(rate_deck_rows(revision), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (f'attachment; filename="rates-{revision.card_id}-'
                                           f'{revision.live_from:%Y%m%d-%H%M}.csv"')
        return response


class DeckUploadView(PermissionRequiredMixin, View):
    permission_required = "rates.upload_rate_deck"

    def post(self, request, pk):
        card = get_object_or_404(RateCard, pk=pk)
        form = DeckUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, "rates/card_detail.html", {
                "card": card, "revisions": list(card.revisions.all()[:50]), "live": revision_live(card.pk),
                "upload_form": form, "lookup_form": LookupForm(), "uploads": card.uploads.all()[:5]}, status=422)
        upload = services.rate_deck_upload_create(card=card, file=form.cleaned_data["file"],
                                                  live_from=form.cleaned_data["live_from"], user=request.user)
        return redirect("rates:upload_detail", upload.pk)


class DeckUploadDetailView(PermissionRequiredMixin, View):
    """The preview: progress while the deck is read, then counts and bad rows, then Apply."""

    permission_required = "rates.upload_rate_deck"

    def get(self, request, pk):
        upload = get_object_or_404(RateDeckUpload.objects.select_related("card", "revision"), pk=pk)
        context = {"upload": upload, "card": upload.card, "bytes_done": services.upload_progress(upload)}
        if request.htmx:
            return render(request, "rates/partials/upload_status.html", context)
        return render(request, "rates/upload_detail.html", context)

    def post(self, request, pk):
        upload = get_object_or_404(RateDeckUpload, pk=pk)
        try:
            services.rate_deck_upload_confirm(upload=upload)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("rates:upload_detail", upload.pk)


class GenerateView(PermissionRequiredMixin, View):
    """Generate from provider card: a new revision of this customer card, the provider card's rows
    marked up by rules (absolute or percent; the most specific prefix pattern wins)."""

    permission_required = "rates.upload_rate_deck"
    template_name = "rates/card_generate.html"

    def target(self, pk):
        return get_object_or_404(RateCard, pk=pk, kind=RateCard.Kind.CUSTOMER)

    def render_page(self, request, card, form, rules, status=200):
        return render(request, self.template_name, {"card": card, "form": form, "rules": rules,
                                                    "title": f"Generate {card} from a provider card"}, status=status)

    def get(self, request, pk):
        card = self.target(pk)
        return self.render_page(request, card, GenerateForm(target=card),
                                MarkupRuleFormSet(initial=[{"pattern": "", "kind": "percent"}]))

    def post(self, request, pk):
        card = self.target(pk)
        form, rules = GenerateForm(request.POST, target=card), MarkupRuleFormSet(request.POST)
        if form.is_valid() and rules.is_valid():
            try:
                revision = services.rate_card_generate(
                    source=form.cleaned_data["source"], target=card, live_from=form.cleaned_data["live_from"],
                    rules=[rule for rule in (row.rule() for row in rules) if rule is not None], user=request.user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Revision live from {revision.live_from:%Y-%m-%d %H:%M} generated: "
                                          f"{revision.row_count} rows.")
                return redirect(f"{card.get_absolute_url()}?revision={revision.pk}")
        return self.render_page(request, card, form, rules, status=422)
