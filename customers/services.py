from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum

from connex.registry import registry

from .models import Customer


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
    """Sum of the customer's charges on the UTC day containing `at`."""
    day_start = datetime.combine(at.astimezone(UTC).date(), time.min, tzinfo=UTC)
    total = customer.cdrs.filter(start_time__gte=day_start, start_time__lt=day_start + timedelta(days=1)
                                 ).aggregate(total=Sum("charge"))["total"]
    return total or Decimal("0")


def _normalise_cli(cli):
    try:
        parsed = phonenumbers.parse(cli if cli.startswith("+") else f"+{cli}", None)
    except phonenumbers.NumberParseException:
        return cli
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def call_admission(customer: Customer, at: datetime, cli: str | None = None) -> Admission:
    """The single place the rules for admitting a customer's call live."""
    reasons = []
    if customer.status != Customer.Status.ACTIVE:
        reasons.append(f"{AdmissionReason.STATUS} ({customer.get_status_display()})")
    if customer.balance < -customer.debit_limit:
        reasons.append(AdmissionReason.CREDIT)
    if customer.daily_spend_limit is not None and customer_daily_spend(customer, at) >= customer.daily_spend_limit:
        reasons.append(AdmissionReason.DAILY_SPEND)
    if not customer.is_within_allowed_time(at):
        reasons.append(AdmissionReason.OUTSIDE_HOURS)
    pending = []
    if customer.email_verification_required and not customer.contacts.filter(email_verified=True).exists():
        pending.append("email")
    if customer.mobile_verification_required and not customer.contacts.filter(mobile_verified=True).exists():
        pending.append("mobile")
    if pending:
        reasons.append(f"{AdmissionReason.VERIFICATION} ({', '.join(pending)})")
    if customer.approved_clis_only:
        approved = cli and customer.approved_clis.filter(
            number=_normalise_cli(cli), approved_at__isnull=False, revoked_at__isnull=True
        ).exists()
        if not approved:
            reasons.append(AdmissionReason.CLI)
    return Admission(reasons=reasons)


@transaction.atomic
def customer_save(*, customer: Customer, tags=None, windows=None) -> Customer:
    """Validate and save a customer with its tags and allowed windows, all or nothing."""
    customer.full_clean()
    customer.save()
    if tags is not None:
        customer.tags.set(tags)
    if windows is not None:
        customer.allowed_windows.all().delete()
        for start, end in windows:
            customer.allowed_windows.create(start=start, end=end)
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
