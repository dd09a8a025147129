"""DIDs: save one, assign and release in bulk, and the all-or-nothing CSV upload."""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .models import Did

UPLOAD_COLUMNS = ("number", "provider", "provider_card", "customer", "customer_card", "destination_type",
                  "destination", "channels", "cps", "max_duration")
REQUIRED_COLUMNS = ("number", "provider")
UPLOAD_MAX_ROWS = 100_000


@transaction.atomic
def did_save(*, did: Did) -> Did:
    """Validate and save one DID; a newly assigned number records when."""
    if did.customer_id is None:
        did.assigned_at = None
    elif did.assigned_at is None or (did.pk and Did.objects.filter(pk=did.pk).exclude(
            customer_id=did.customer_id).exists()):
        did.assigned_at = timezone.now()
    did.full_clean()
    try:
        with transaction.atomic():
            did.save()
    except IntegrityError:
        raise ValidationError({"number": ["This number is already in the inventory."]}) from None
    return did


@transaction.atomic
def did_delete(*, did: Did) -> None:
    if did.customer_id is not None:
        raise ValidationError("Release the number before deleting it.")
    did.delete()


@transaction.atomic
def did_destination_set(*, did: Did, destination_type: str, sip_user=None, ip_entry=None,
                        destination_uri: str = "") -> Did:
    """Point an assigned number at one of its customer's SIP users or IP entries, or an external URI."""
    did = Did.objects.select_for_update().get(pk=did.pk)
    if did.customer_id is None:
        raise ValidationError("A number in stock has no destination.")
    did.destination_type, did.sip_user, did.ip_entry = destination_type or "", sip_user, ip_entry
    did.destination_uri = (destination_uri or "").strip()
    return did_save(did=did)


@transaction.atomic
def did_assign(*, dids, customer, customer_card, destination_type="", sip_user=None, ip_entry=None,
               destination_uri="") -> int:
    """Assign numbers in stock to a customer; all or none (a number already assigned refuses the lot)."""
    dids = list(Did.objects.select_for_update().filter(pk__in=[d.pk for d in dids]).order_by("pk"))
    if not dids:
        raise ValidationError("Select at least one number.")
    taken = [str(d) for d in dids if d.customer_id is not None and d.customer_id != customer.pk]
    if taken:
        raise ValidationError(f"Already assigned: {', '.join(taken[:10])}{' …' if len(taken) > 10 else ''}. "
                              "Release them first.")
    for did in dids:
        did.customer, did.customer_card = customer, customer_card
        did.destination_type, did.sip_user, did.ip_entry = destination_type, sip_user, ip_entry
        did.destination_uri = destination_uri
        try:
            did_save(did=did)
        except ValidationError as exc:
            raise ValidationError(f"{did}: {' '.join(exc.messages)}") from None
    return len(dids)


@transaction.atomic
def did_release(*, dids) -> int:
    """Back to stock: no customer, no customer card, no destination."""
    now = timezone.now()
    count = 0
    for did in Did.objects.select_for_update().filter(pk__in=[d.pk for d in dids]).order_by("pk"):
        did.customer = did.customer_card = did.sip_user = did.ip_entry = None
        did.destination_type, did.destination_uri, did.assigned_at = "", "", None
        did.updated = now
        did.save()
        count += 1
    return count


@dataclass
class UploadResult:
    created: int = 0
    errors: list = field(default_factory=list)  # [(row number, message)]; row 1 is the header


def _lookup(model, text, *, by_name="name", extra=None):
    text = (text or "").strip()
    if not text:
        return None
    queryset = model.objects.filter(**(extra or {}))
    found = queryset.filter(pk=int(text)).first() if text.isdigit() else None
    return found or queryset.filter(**{f"{by_name}__iexact": text}).first()


def did_upload(*, data: bytes, user=None) -> UploadResult:
    """Create DIDs from a CSV file, all or nothing: any bad row is reported with its row number and
    nothing is saved. Columns: number, provider (id or name), provider_card, customer, customer_card
    (names or ids), destination_type (sip_user, ip_entry, uri), destination (extension, IP address or
    URI), channels, cps, max_duration."""
    from customers.models import Customer
    from providers.models import Provider
    from rates.models import RateCard
    from sipauth.models import IpAuthEntry, SipUser

    result = UploadResult()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file is not UTF-8 text; save it as CSV (UTF-8).") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ValidationError(f"Missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}. "
                              f"Columns: {', '.join(UPLOAD_COLUMNS)}.")
    reader.fieldnames = header
    dids, seen = [], {}
    for row_no, row in enumerate(reader, start=2):
        if row_no - 1 > UPLOAD_MAX_ROWS:
            raise ValidationError(f"At most {UPLOAD_MAX_ROWS:,} rows per file.")
        row = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(row.values()):
            continue
        problems = []
        provider = _lookup(Provider, row.get("provider"))
        if provider is None:
            problems.append(f"unknown provider “{row.get('provider', '')}”")
        customer = _lookup(Customer, row.get("customer"))
        if row.get("customer") and customer is None:
            problems.append(f"unknown customer “{row['customer']}”")
        provider_card = _lookup(RateCard, row.get("provider_card"))
        if row.get("provider_card") and provider_card is None:
            problems.append(f"unknown rate card “{row['provider_card']}”")
        customer_card = _lookup(RateCard, row.get("customer_card"))
        if row.get("customer_card") and customer_card is None:
            problems.append(f"unknown rate card “{row['customer_card']}”")
        numbers = {}
        for name in ("channels", "cps", "max_duration"):
            value = row.get(name, "")
            if value and not value.isdigit():
                problems.append(f"{name} must be a whole number")
            elif value:
                numbers[name] = int(value)
        did = Did(number=row.get("number", ""), provider=provider, provider_card=provider_card, customer=customer,
                  customer_card=customer_card, destination_type=row.get("destination_type", "").lower(), **numbers)
        destination = row.get("destination", "")
        if customer is not None and did.destination_type == Did.DestinationType.SIP_USER:
            did.sip_user = (SipUser.objects.filter(customer=customer, extension=int(destination)).first()
                            if destination.isdigit() else None)
        elif customer is not None and did.destination_type == Did.DestinationType.IP_ENTRY:
            did.ip_entry = IpAuthEntry.objects.filter(customer=customer, address__iexact=destination).first()
        elif did.destination_type == Did.DestinationType.URI:
            did.destination_uri = destination
        if did.destination_type and did.destination_type not in Did.DestinationType.values:
            problems.append("destination_type must be sip_user, ip_entry or uri")
        if not problems:
            if customer is not None:
                did.assigned_at = timezone.now()
            try:
                did.full_clean(validate_unique=False)
            except ValidationError as exc:
                problems.extend(f"{name.replace('_', ' ')}: {' '.join(messages)}" if name != "__all__"
                                else " ".join(messages) for name, messages in exc.message_dict.items())
        if not problems:
            if did.number in seen:
                problems.append(f"number also on row {seen[did.number]}")
            seen.setdefault(did.number, row_no)
        if problems:
            result.errors.append((row_no, "; ".join(problems)))
        else:
            dids.append((row_no, did))
    if not result.errors and not dids:
        raise ValidationError("The file has no rows.")
    existing = set(Did.objects.filter(number__in=[d.number for _, d in dids]).values_list("number", flat=True))
    result.errors.extend((row_no, f"number +{did.number} is already in the inventory")
                         for row_no, did in dids if did.number in existing)
    result.errors.sort()
    if result.errors:
        return result
    try:
        with transaction.atomic():
            Did.objects.bulk_create([did for _, did in dids], batch_size=1000)
    except IntegrityError:  # a concurrent upload took one of the numbers
        result.errors.append((0, "Another upload added some of these numbers meanwhile; nothing was saved."))
        return result
    result.created = len(dids)
    return result


def did_upload_template() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(UPLOAD_COLUMNS)
    writer.writerow(["+442071838750", "Carrier A", "Carrier A origination", "", "", "", "", "0", "0", "7200"])
    return buffer.getvalue()


def dids_of(queryset, pks):
    return queryset.filter(Q(pk__in=[int(pk) for pk in pks if str(pk).isdigit()]))
