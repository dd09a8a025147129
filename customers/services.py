import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from connex.registry import registry

from .models import Customer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Admission:
    """The answer to "may this customer place a call now": allowed, or every reason why not."""

    reasons: list = field(default_factory=list)

    @property
    def allowed(self):
        return not self.reasons

    def __bool__(self):
        return self.allowed


class AdmissionReason:
    STATUS = "status not active"
    CREDIT = "balance below debit limit"
    DAILY_SPEND = "daily spend limit reached"
    OUTSIDE_HOURS = "outside allowed time"
    VERIFICATION = "verification pending"
    CLI = "CLI not approved"


def customer_daily_spend(customer, at: datetime) -> Decimal:
    """The customer's charges on the UTC day containing `at`, from the per-day totals the billing
    apps keep (never a sum over raw CDRs)."""
    return sum((source(customer.pk, at) for source in registry.daily_spend_sources), Decimal("0"))


def call_admission(customer: Customer, at: datetime, cli: str | None = None) -> Admission:
    """May this customer place a call now: the routing engine's account checks, without route or rate."""
    from routing.engine import account_from_customer, admission_reasons

    return Admission(reasons=admission_reasons(account_from_customer(customer, at), at, cli))


@transaction.atomic
def customer_save(*, customer: Customer, tags=None, windows=None) -> Customer:
    """Validate and save a customer with its tags and allowed windows, all or nothing."""
    customer.full_clean()
    customer.save()
    if tags is not None:
        customer.tags.set(tags)
    if windows is not None:
        customer.allowed_windows.all().delete()
        for weekday, start, end in windows:
            customer.allowed_windows.create(weekday=weekday, start=start, end=end)
    return customer


def customer_delete_refusals(customer_ids) -> dict:
    """{customer_id: reason} for customers that must not be deleted (financial history)."""
    refusals = {}
    for guard in registry.delete_guards:
        for customer_id, reason in guard(customer_ids).items():
            refusals.setdefault(customer_id, []).append(reason)
    return {cid: "; ".join(reasons) for cid, reasons in refusals.items()}


@transaction.atomic
def customer_delete(*, customer_ids) -> int:
    """Delete customers with no financial history; refuse the whole batch otherwise."""
    customer_ids = list(customer_ids)
    refusals = customer_delete_refusals(customer_ids)
    if refusals:
        names = dict(Customer.objects.filter(pk__in=refusals).values_list("pk", "name"))
        raise ValidationError([f"{names.get(cid, cid)}: {reason}" for cid, reason in refusals.items()])
    deleted, _ = Customer.objects.filter(pk__in=customer_ids).delete()
    return len(customer_ids) if deleted else 0


BULK_EDIT_FIELDS = ("channels", "flow_speed", "status", "debit_limit", "minimum_payment", "tax_percent",
                    "reseller", "account_manager", "invoice_schedule", "portal_access")


def _validate_like_single_edit(customer):
    """The rules a single edit applies, for a customer whose name and currency this path keeps.

    Name and currency are not changed here, so the two facts clean() would query are known.
    """
    customer.clean_fields()
    customer.check_rules(stored_currency=customer.currency, name_taken=False)


@transaction.atomic
def customer_bulk_update(*, customer_ids, values: dict, add_tags=(), remove_tags=()) -> int:
    """Set `values` (only the fields the user ticked) on every customer, and add/remove tags.

    Each customer is validated as a single edit would be; one failure saves nothing and the
    error names every customer that failed.
    """
    from django.db.models.functions import Lower
    from django.utils import timezone

    from .models import Tag

    unknown = set(values) - set(BULK_EDIT_FIELDS)
    if unknown:
        raise ValueError(f"Not bulk-editable: {', '.join(sorted(unknown))}")
    customers = list(Customer.objects.select_for_update().filter(pk__in=list(customer_ids)).order_by("pk"))
    failures = []
    now = timezone.now()
    for customer in customers:
        for name, value in values.items():
            setattr(customer, name, value)
        customer.updated = now
        try:
            _validate_like_single_edit(customer)
        except ValidationError as exc:
            detail = "; ".join(f"{Customer._meta.get_field(f).verbose_name if f != '__all__' else 'row'}: "
                               f"{' '.join(m)}" for f, m in exc.message_dict.items())
            failures.append(f"{customer.name} (#{customer.pk}): {detail}")
    if failures:
        raise ValidationError(failures)
    if values:
        attnames = [Customer._meta.get_field(name).attname for name in values] + ["updated"]
        Customer.objects.bulk_update(customers, fields=attnames, batch_size=1000)
    through = Customer.tags.through
    ids = [c.pk for c in customers]
    if remove_tags:
        lowered = [t.lower() for t in remove_tags]
        tag_ids = Tag.objects.annotate(lname=Lower("name")).filter(lname__in=lowered).values_list("pk", flat=True)
        through.objects.filter(customer_id__in=ids, tag_id__in=list(tag_ids)).delete()
    if add_tags:
        tags = tag_get_or_create(names=add_tags)
        through.objects.bulk_create([through(customer_id=cid, tag_id=tag.pk) for cid in ids for tag in tags],
                                    ignore_conflicts=True, batch_size=5000)
    return len(customers)


def tag_get_or_create(*, names):
    """Tags by name, matched case-insensitively; missing ones are created."""
    from django.db.models.functions import Lower

    from .models import Tag

    existing = {t.name.lower(): t for t in Tag.objects.annotate(lname=Lower("name"))
                .filter(lname__in=[n.lower() for n in names])}
    return [existing.get(name.lower()) or Tag.objects.create(name=name) for name in names]


# Delayed changes -------------------------------------------------------------------------

def _json_value(value):
    from django.db.models import Model

    if isinstance(value, Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def delayed_change_diff(*, form) -> dict:
    """{field: [old, new]} for the fields a bound, valid CustomerForm changes, JSON-ready."""
    # The form has already copied its values onto form.instance; old values come from the database.
    customer = Customer.objects.get(pk=form.instance.pk)
    diff = {}
    for name in form.changed_data:
        if name == "windows":
            continue  # the allowed windows are saved at once, never delayed
        if name == "tag_names":
            old = sorted(tag.name for tag in customer.tags.all())
            new = sorted(form.cleaned_data["tag_names"])
            if [o.lower() for o in old] != sorted(n.lower() for n in new):
                diff["tags"] = [old, new]
            continue
        model_field = Customer._meta.get_field(name)
        old = _json_value(getattr(customer, model_field.attname))
        new = _json_value(form.cleaned_data[name])
        if old != new:
            diff[name] = [old, new]
    return diff


@transaction.atomic
def delayed_change_create(*, customer, requested_by, due_at, changes):
    from .models import DelayedChange

    if not changes:
        raise ValidationError("Nothing changed, so there is nothing to delay.")
    if due_at <= datetime.now(UTC):
        raise ValidationError({"due_at": "Choose a date and time in the future."})
    return DelayedChange.objects.create(customer=customer, requested_by=requested_by, due_at=due_at,
                                        changes=changes)


@transaction.atomic
def customer_create_delayed(*, customer: Customer, requested_by, due_at, tags=None, windows=None) -> Customer:
    """Delay & Save while creating: the customer exists at once but is held Inactive (no calls), and
    takes the status it was given at `due_at`, through a delayed change like any other."""
    chosen = customer.status
    if chosen == Customer.Status.INACTIVE:
        raise ValidationError({"status": "Choose the status the customer takes at that time; until then it is "
                                         "held Inactive."})
    if due_at <= datetime.now(UTC):
        raise ValidationError({"due_at": "Choose a date and time in the future."})
    customer.status = Customer.Status.INACTIVE
    try:
        customer = customer_save(customer=customer, tags=tags, windows=windows)
    finally:
        customer.status = Customer.Status.INACTIVE if customer.pk else chosen
    delayed_change_create(customer=customer, requested_by=requested_by, due_at=due_at,
                          changes={"status": [Customer.Status.INACTIVE.value, chosen]})
    return customer


def delayed_change_cancel(*, change):
    from .models import DelayedChange

    updated = DelayedChange.objects.filter(pk=change.pk, state=DelayedChange.State.PENDING).update(
        state=DelayedChange.State.CANCELLED, updated=datetime.now(UTC))
    if not updated:
        raise ValidationError("Only a pending change can be cancelled.")


def _delayed_change_apply(change):
    """Apply one claimed change inside the caller's transaction; raise ValidationError if invalid."""
    customer = Customer.objects.select_for_update().get(pk=change.customer_id)
    tags = None
    for name, (_old, new) in change.changes.items():
        if name == "tags":
            tags = new
            continue
        model_field = Customer._meta.get_field(name)
        setattr(customer, model_field.attname, new)
    customer.full_clean()
    customer.save()
    if tags is not None:
        customer.tags.set(tag_get_or_create(names=tags))


def delayed_changes_apply_due(*, now=None) -> dict:
    """Apply every pending change that is due, each exactly once even when runs overlap.

    A change is claimed with SELECT … FOR UPDATE SKIP LOCKED, so a concurrent run skips it;
    it is applied and marked in the same transaction, so it is never applied twice, and a
    change that no longer validates is rolled back whole and marked failed with the reason.
    """
    from connex.audit import system_context

    from .models import DelayedChange

    now = now or datetime.now(UTC)
    result = {"applied": 0, "failed": 0}
    while True:
        with transaction.atomic():
            change = (DelayedChange.objects.select_for_update(skip_locked=True, of=("self",))
                      .filter(state=DelayedChange.State.PENDING, due_at__lte=now)
                      .select_related("requested_by").order_by("due_at", "pk").first())
            if change is None:
                return result
            requester = change.requested_by.get_username() if change.requested_by else ""
            with system_context(delayed_change=change.pk, on_behalf_of=requester):
                try:
                    with transaction.atomic():
                        _delayed_change_apply(change)
                except ValidationError as exc:
                    change.state = DelayedChange.State.FAILED
                    change.reason = "; ".join(
                        f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
                        for field, messages in exc.message_dict.items()) if hasattr(exc, "error_dict") \
                        else " ".join(exc.messages)
                    result["failed"] += 1
                except IntegrityError as exc:
                    change.state = DelayedChange.State.FAILED
                    change.reason = f"Refused by the database: {str(exc).splitlines()[0]}"
                    result["failed"] += 1
                except Exception as exc:
                    # One broken change must not block every change due after it, run after run.
                    logger.exception("Delayed change %s could not be applied", change.pk)
                    change.state = DelayedChange.State.FAILED
                    change.reason = f"Unexpected error: {exc.__class__.__name__}: {exc}"
                    result["failed"] += 1
                else:
                    change.state = DelayedChange.State.APPLIED
                    result["applied"] += 1
                change.applied_at = datetime.now(UTC)
                change.save(update_fields=["state", "reason", "applied_at", "updated"])
