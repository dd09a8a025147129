"""Bulk upload of customers from CSV or XLSX: parse, validate every row, then save all or nothing.

A row is judged by the rules a single edit uses (`Model.clean_fields()` and
`Customer.check_rules()`); the few facts those rules read from the database (names in use,
stored currencies, related objects by name) are looked up once for the whole file, so a
10,000-row file costs a handful of queries, not tens of thousands.
"""

import csv
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pghistory
import tablib
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from .models import Customer, CustomerImport, ResellerGroup, Tag

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("name", "currency")
RELATED_COLUMNS = ("reseller", "account_manager", "invoice_template")
PREVIEW_ROWS = 500  # valid rows shown in the preview; every invalid row is always shown



def max_upload_bytes():
    return getattr(settings, "CUSTOMER_IMPORT_MAX_BYTES", 10 * 1024 * 1024)


def async_threshold():
    """Files with at least this many rows are validated and imported by a Celery task."""
    return getattr(settings, "CUSTOMER_IMPORT_ASYNC_ROWS", 10_000)


def import_columns():
    """Column name -> model field name, in the form's order; `id` and `tags` included."""
    columns = ["id"] + [name if name != "tag_names" else "tags" for name in _form_field_order()]
    return columns


def _form_field_order():
    from .forms import TABS

    return [name for _, _, names in TABS for name in names]


def _normalise(header):
    return " ".join(str(header).strip().lower().replace("_", " ").replace("-", " ").split())


def _header_aliases():
    """Accepted spellings of each column: its field name and its label, case-insensitive."""
    aliases = {}
    for column in import_columns():
        aliases[_normalise(column)] = column
        if column in ("id", "tags"):
            continue
        model_field = Customer._meta.get_field(column)
        aliases.setdefault(_normalise(model_field.verbose_name), column)
    return aliases


class ImportFileError(Exception):
    """The file as a whole cannot be read; `messages` say why."""

    def __init__(self, messages):
        super().__init__("; ".join(messages))
        self.messages = list(messages)


@dataclass
class ParsedFile:
    headers: list  # as written in the file
    columns: list  # the column each header maps to
    rows: list  # lists of strings, one per data row
    had_bom: bool = False
    format: str = "csv"


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_file(*, content: bytes, filename: str) -> ParsedFile:
    """Read a CSV (UTF-8, with or without BOM) or XLSX file; raise ImportFileError when unusable."""
    limit = max_upload_bytes()
    if len(content) > limit:
        raise ImportFileError([f"The file is {len(content) / 1024 / 1024:.1f} MB; the limit is "
                               f"{limit / 1024 / 1024:.0f} MB. Split it into smaller files."])
    if not content.strip():
        raise ImportFileError(["The file is empty."])
    suffix = Path(filename or "").suffix.lower()
    is_zip = content[:4] == b"PK\x03\x04"
    if suffix == ".xlsx" or (is_zip and suffix not in (".csv", ".txt")):
        table, fmt, had_bom = _read_xlsx(content), "xlsx", False
    elif suffix in (".csv", ".txt", "") and not is_zip and b"\x00" not in content[:4096]:
        table, had_bom = _read_csv(content)
        fmt = "csv"
    else:
        raise ImportFileError([f"“{filename}” is not a CSV or XLSX file. Upload a .csv (UTF-8) or .xlsx file."])
    table = [row for row in table if any(cell for cell in row)]
    if not table:
        raise ImportFileError(["The file is empty."])
    headers, data = table[0], table[1:]
    while headers and not headers[-1]:
        headers = headers[:-1]
    columns = _map_headers(headers)
    if not data:
        raise ImportFileError(["The file has a header row but no customers."])
    width = len(headers)
    rows = []
    for row in data:
        if len(row) < width:
            row = row + [""] * (width - len(row))
        rows.append(row[:width])
    return ParsedFile(headers=headers, columns=columns, rows=rows, had_bom=had_bom, format=fmt)


def _read_csv(content):
    had_bom = content.startswith(b"\xef\xbb\xbf")
    nul = content.find(b"\x00")
    if nul >= 0:
        line = len(content[:nul].splitlines()) or 1
        raise ImportFileError([
            f"Line {line} holds a NUL byte, so the file is not plain text. Save it as “CSV UTF-8” and upload it again."])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError([
            f"The file is not UTF-8 text (byte {exc.start + 1} cannot be read). Save it as "
            "“CSV UTF-8” — with or without a byte-order mark — and upload it again."])
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # newline="" lets the csv module see CR, LF and CRLF line ends, and CRs inside quoted cells.
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        return [[cell.strip() for cell in row] for row in reader], had_bom
    except csv.Error as exc:
        reason = (f"a cell is longer than {csv.field_size_limit() // 1024} KiB" if "field limit" in str(exc)
                  else str(exc))
        raise ImportFileError([f"Line {reader.line_num}: {reason}. The file is not a CSV the import can read."])


def _read_xlsx(content):
    try:
        dataset = tablib.Dataset().load(content, format="xlsx", headers=False)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise ImportFileError(["The file could not be read as an XLSX workbook. Upload a .csv (UTF-8) "
                               "or .xlsx file."])
    return [[_cell(value) for value in row] for row in dataset]


def _map_headers(headers):
    aliases = _header_aliases()
    errors, columns, seen = [], [], {}
    unknown = []
    for header in headers:
        column = aliases.get(_normalise(header))
        if column is None:
            unknown.append(header or "(blank)")
        elif column in seen:
            errors.append(f"Column “{header}” appears twice (also as “{seen[column]}”).")
        else:
            seen[column] = header
        columns.append(column)
    if unknown:
        errors.append(f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
                      "Use the columns of the template file.")
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        errors.append(f"Missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}.")
    if errors:
        raise ImportFileError(errors)
    return columns


@dataclass
class RowResult:
    line: int  # line in the file, the header being line 1
    values: list
    action: str = "new"  # new | update | invalid
    errors: dict = field(default_factory=dict)  # column -> [messages]
    customer: Customer | None = None
    tags: list | None = None

    def add_error(self, column, message):
        self.errors.setdefault(column, []).append(message)
        self.action = "invalid"


@dataclass
class Validation:
    parsed: ParsedFile
    results: list

    @property
    def counts(self):
        counts = {"new": 0, "update": 0, "invalid": 0}
        for result in self.results:
            counts[result.action] += 1
        return counts

    @property
    def is_valid(self):
        return all(result.action != "invalid" for result in self.results)


class _Lookups:
    """Related objects and names in use, each read once for the whole file."""

    def __init__(self, rows, columns, update_existing):
        def values_of(column):
            if column not in columns:
                return set()
            index = columns.index(column)
            return {row[index].strip().lower() for row in rows if row[index].strip()}

        names = values_of("name")
        self.resellers = {r.name.lower(): r for r in ResellerGroup.objects.all()} if "reseller" in columns else {}
        self.managers = {}
        if "account_manager" in columns:
            for user in get_user_model().objects.filter(is_staff=True):
                self.managers.setdefault(user.get_username().lower(), user)
                if user.get_full_name():
                    self.managers.setdefault(user.get_full_name().lower(), user)
        self.templates = {}
        if "invoice_template" in columns:
            from invoicing.models import InvoiceTemplate

            self.templates = {t.name.lower(): t for t in InvoiceTemplate.objects.all()}
        self.tags = {t.name.lower(): t for t in Tag.objects.all()} if "tags" in columns else {}
        # name (lowercase) -> pk of every customer whose name the file mentions
        self.names = dict(Customer.objects.annotate(lname=Lower("name")).filter(lname__in=names)
                          .values_list("lname", "pk"))
        self.existing = {}
        if update_existing:
            ids = {int(v) for v in values_of("id") if v.isdigit()}
            self.existing = {c.pk: c for c in Customer.objects.filter(
                models.Q(pk__in=ids) | models.Q(pk__in=self.names.values())).prefetch_related("tags")}
            # Names of customers matched by id, so renames can be checked against them.
            for customer in self.existing.values():
                self.names.setdefault(customer.name.lower(), customer.pk)


def _clean_fields(customer, fields, cache):
    """Model.clean_fields() for `fields`, calling Field.clean() once per distinct value.

    A file repeats the same currency, country or status thousands of times, and checking a
    value against a long choice list is the costly part; none of these fields' rules depend
    on the rest of the row, so a value's result is the same on every row.
    """
    errors = {}
    for model_field in fields:
        raw = getattr(customer, model_field.attname)
        if model_field.blank and raw in model_field.empty_values:
            continue
        key = (model_field.name, type(raw), tuple(raw) if isinstance(raw, list) else raw)
        try:
            hash(key)
        except TypeError:
            key = None
        if key is not None and key in cache:
            outcome = cache[key]
        else:
            try:
                outcome = model_field.clean(raw, customer)
            except ValidationError as exc:
                outcome = exc
            if key is not None:
                cache[key] = outcome
        if isinstance(outcome, ValidationError):
            errors[model_field.name] = outcome.error_list
        else:
            setattr(customer, model_field.attname, list(outcome) if isinstance(outcome, list) else outcome)
    if errors:
        raise ValidationError(errors)


def _choice_message(column, error, raw):
    """Say which values a choice column takes, instead of Django's bare “not a valid choice”."""
    if error.code != "invalid_choice":
        return " ".join(error.messages)
    model_field = Customer._meta.get_field(column)
    choices = [str(value) for value, _ in model_field.choices or []]
    if len(choices) <= 10:
        return f"“{raw}” is not one of: {', '.join(choices)}."
    return f"“{raw}” is not a valid {model_field.verbose_name} code."


def _cell_parser():
    """parse_cell(column, text) -> value or ValidationError, by the customer form's field of that
    column (so a cell reads exactly as the same text typed into the form), once per distinct value."""
    from .forms import CustomerForm

    fields = CustomerForm().fields
    cache = {}

    def parse_cell(column, raw):
        key = (column, raw)
        if key not in cache:
            try:
                cache[key] = fields["tag_names" if column == "tags" else column].clean(raw)
            except ValidationError as exc:
                cache[key] = exc
        return cache[key]

    return parse_cell


def validate_rows(parsed: ParsedFile, *, update_existing: bool, progress=None) -> Validation:
    """Judge every row; nothing is written. `progress(done)` is called every 1,000 rows."""
    columns = parsed.columns
    parse_cell = _cell_parser()
    lookups = _Lookups(parsed.rows, columns, update_existing)
    first_line_of = {}
    results = []
    clean_fields = [f for f in Customer._meta.concrete_fields
                    if f.name in columns and f.name not in RELATED_COLUMNS]
    clean_cache = {}
    for index, values in enumerate(parsed.rows):
        result = RowResult(line=index + 2, values=values)
        results.append(result)
        row = {column: value for column, value in zip(columns, values, strict=True)}
        name = row.get("name", "").strip()
        key = name.lower()
        if key:
            if key in first_line_of:
                result.add_error("name", f"Duplicate name in the file (also on line {first_line_of[key]}).")
            else:
                first_line_of[key] = result.line

        existing = None
        raw_id = row.get("id", "")
        if raw_id:
            if not update_existing:
                result.add_error("id", "Tick “Update existing customers” to update customers by id.")
            elif not raw_id.isdigit() or int(raw_id) not in lookups.existing:
                result.add_error("id", f"No customer with id {raw_id}.")
            else:
                existing = lookups.existing[int(raw_id)]
        elif update_existing and key in lookups.names:
            existing = lookups.existing.get(lookups.names[key])

        if existing is not None:
            customer = Customer(**{f.attname: getattr(existing, f.attname) for f in Customer._meta.concrete_fields})
            customer._state.adding = False
            result.action = "update" if result.action != "invalid" else "invalid"
            stored_currency = existing.currency
        else:
            customer = Customer()
            stored_currency = None
        result.customer = customer

        for column, raw in row.items():
            if column in ("id", None) or raw == "":
                continue
            if column == "reseller":
                found = lookups.resellers.get(raw.lower())
                if found is None:
                    result.add_error(column, f"No reseller group named “{raw}”.")
                customer.reseller = found
            elif column == "account_manager":
                found = lookups.managers.get(raw.lower())
                if found is None:
                    result.add_error(column, f"No staff member with username or name “{raw}”.")
                customer.account_manager = found
            elif column == "invoice_template":
                found = lookups.templates.get(raw.lower())
                if found is None:
                    result.add_error(column, f"No invoice template named “{raw}”.")
                customer.invoice_template = found
            else:
                outcome = parse_cell(column, raw)
                if isinstance(outcome, ValidationError):
                    for message in outcome.messages:
                        result.add_error(column, message)
                elif column == "tags":
                    result.tags = outcome
                else:
                    setattr(customer, column, outcome)
        # Matched by name, the stored spelling stays; only a row matched by id renames.
        customer.name = existing.name if existing is not None and not raw_id else name

        try:
            # Related objects were resolved by name above, from one query each, so their
            # existence (and the account manager being staff) is already established.
            # Like a ModelForm, only the fields the file sets are cleaned; the others hold
            # their defaults (new rows) or their stored, already validated values (updates).
            _clean_fields(customer, clean_fields, clean_cache)
        except ValidationError as exc:
            for column, errors in exc.error_dict.items():
                for error in errors:
                    result.add_error(column, _choice_message(column, error, row.get(column, "")))
        else:
            taken_by = lookups.names.get(key)
            name_taken = taken_by is not None and taken_by != customer.pk
            try:
                customer.check_rules(stored_currency=stored_currency, name_taken=name_taken)
            except ValidationError as exc:
                for column, messages in exc.message_dict.items():
                    for message in messages:
                        if column == "name" and update_existing and existing is None:
                            message += " Its id in the file does not match it."
                        result.add_error("row" if column == NON_FIELD_ERRORS else column, message)
        if progress and (index + 1) % 1000 == 0:
            progress(index + 1)
    return Validation(parsed=parsed, results=results)


@transaction.atomic
def rows_save(validation: Validation) -> dict:
    """Save every valid row in bulk, inside one transaction; the caller checked there are no errors."""
    if not validation.is_valid:
        raise ValidationError("The file has invalid rows; nothing was imported.")
    now = timezone.now()
    columns = [c for c in validation.parsed.columns if c not in ("id", "tags")]
    new = [r for r in validation.results if r.action == "new"]
    updates = [r for r in validation.results if r.action == "update"]

    _copy_insert([r.customer for r in new], now=now)
    if updates:
        for result in updates:
            result.customer.updated = now
        attnames = [Customer._meta.get_field(c).attname for c in columns] + ["updated"]
        _copy_update([r.customer for r in updates], attnames)

    with_tags = [r for r in validation.results if r.tags is not None]
    if with_tags:
        wanted = {name.lower(): name for r in with_tags for name in r.tags}
        known = {t.name.lower(): t.pk for t in Tag.objects.annotate(lname=Lower("name"))
                 .filter(lname__in=list(wanted))}
        missing = [Tag(name=name) for lower, name in wanted.items() if lower not in known]
        if missing:
            Tag.objects.bulk_create(missing, ignore_conflicts=True)
            known = {t.name.lower(): t.pk for t in Tag.objects.annotate(lname=Lower("name"))
                     .filter(lname__in=list(wanted))}
        through = Customer.tags.through
        through.objects.filter(customer_id__in=[r.customer.pk for r in with_tags if r.action == "update"]).delete()
        _copy_rows(through._meta.db_table, ["customer_id", "tag_id"],
                   ((r.customer.pk, known[name.lower()]) for r in with_tags for name in r.tags))
    return {"new": len(new), "update": len(updates)}


def _copy_rows(table, columns, rows):
    """COPY rows into a table: several times faster than a multi-row INSERT for large files.

    Triggers fire for COPY as for INSERT, so the audit log records every row. pghistory
    passes its context through transaction-local settings written before each statement
    Django runs; the `SELECT 1` refreshes them, as COPY goes around Django's cursor.
    """
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _copy_insert(customers, *, now):
    """Insert new customers with COPY, then read back their ids (by name, unique ignoring case)."""
    if not customers:
        return
    fields = [f for f in Customer._meta.concrete_fields if not f.primary_key]
    for customer in customers:
        customer.created = customer.updated = now
    # Values are already Python-typed by clean_fields(); psycopg adapts them directly.
    attnames = [f.attname for f in fields]
    _copy_rows(Customer._meta.db_table, [f.column for f in fields],
               ([getattr(c, name) for name in attnames] for c in customers))
    ids = dict(Customer.objects.annotate(lname=Lower("name"))
               .filter(lname__in=[c.name.lower() for c in customers]).values_list("lname", "pk"))
    for customer in customers:
        customer.pk = ids[customer.name.lower()]
        customer._state.adding = False


def _copy_update(customers, attnames):
    """Update many customers in one statement: COPY the new values into a temporary table,
    then UPDATE … FROM it (bulk_update's CASE expressions grow too slowly past a few hundred rows)."""
    columns = [Customer._meta.get_field(name).column for name in attnames]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS customer_import_rows")
        cursor.execute(f"CREATE TEMP TABLE customer_import_rows ON COMMIT DROP AS "
                       f"SELECT id, {quoted} FROM {table} WITH NO DATA")
    _copy_rows("customer_import_rows", ["id", *columns],
               ([c.pk, *(getattr(c, name) for name in attnames)] for c in customers))
    assignments = ", ".join(f"{connection.ops.quote_name(c)} = rows.{connection.ops.quote_name(c)}"
                            for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} AS customer SET {assignments} FROM customer_import_rows AS rows "
                       f"WHERE customer.id = rows.id")
        cursor.execute("DROP TABLE customer_import_rows")


def preview_data(validation: Validation, *, limit=PREVIEW_ROWS) -> dict:
    """What the preview page shows: every invalid row and the first `limit` others."""
    shown, hidden = [], 0
    for result in validation.results:
        if result.action == "invalid" or len(shown) < limit:
            shown.append({"line": result.line, "values": result.values, "action": result.action,
                          "errors": result.errors})
        else:
            hidden += 1
    return {"headers": validation.parsed.headers, "columns": validation.parsed.columns, "rows": shown,
            "hidden_rows": hidden, "had_bom": validation.parsed.had_bom, "format": validation.parsed.format}


def _store_validation(customer_import, validation):
    counts = validation.counts
    customer_import.new_count = counts["new"]
    customer_import.updated_count = counts["update"]
    customer_import.invalid_count = counts["invalid"]
    customer_import.processed_rows = len(validation.results)
    customer_import.preview = preview_data(validation)


def _progress_writer(customer_import):
    def progress(done):
        # Written outside any transaction so the page polling for progress sees it.
        CustomerImport.objects.filter(pk=customer_import.pk).update(processed_rows=done)
    return progress


def _validate_stored_file(customer_import, *, progress=None):
    customer_import.file.open("rb")
    try:
        content = customer_import.file.read()
    finally:
        customer_import.file.close()
    parsed = parse_file(content=content, filename=customer_import.original_name)
    return validate_rows(parsed, update_existing=customer_import.update_existing, progress=progress)


def customer_import_preview(*, customer_import: CustomerImport) -> CustomerImport:
    """Validate the stored file and record the preview; nothing is written to customers.

    Whatever happens, the import leaves "validating": a failure is recorded, never left running.
    """
    try:
        validation = _validate_stored_file(customer_import, progress=_progress_writer(customer_import))
    except ImportFileError as exc:
        customer_import.state = CustomerImport.State.FAILED
        customer_import.error = " ".join(exc.messages)
    except Exception as exc:
        logger.exception("Customer import %s could not be validated", customer_import.pk)
        customer_import.state = CustomerImport.State.FAILED
        customer_import.error = f"The file could not be validated ({exc.__class__.__name__}); nothing was imported."
    else:
        _store_validation(customer_import, validation)
        customer_import.state = (CustomerImport.State.PREVIEW if validation.is_valid
                                 else CustomerImport.State.INVALID)
    customer_import.save()
    return customer_import


def customer_import_run(*, customer_import: CustomerImport) -> CustomerImport:
    """Validate again (the data may have changed since the preview) and save all rows or none."""
    if customer_import.state == CustomerImport.State.DONE:
        return customer_import  # a retried task must not import twice
    customer_import.processed_rows = 0
    try:
        validation = _validate_stored_file(customer_import, progress=_progress_writer(customer_import))
    except Exception as exc:
        if not isinstance(exc, ImportFileError):
            logger.exception("Customer import %s could not be validated", customer_import.pk)
            exc = ImportFileError([f"The file could not be validated ({exc.__class__.__name__})."])
        customer_import.state = CustomerImport.State.FAILED
        customer_import.error = " ".join(exc.messages)
        customer_import.save()
        return customer_import
    _store_validation(customer_import, validation)
    if not validation.is_valid:
        customer_import.state = CustomerImport.State.INVALID
        customer_import.save()
        return customer_import
    try:
        with transaction.atomic(), pghistory.context(import_id=customer_import.pk,
                                                     import_file=customer_import.original_name):
            rows_save(validation)
            customer_import.state = CustomerImport.State.DONE
            customer_import.error = ""
            customer_import.save()
    except Exception as exc:  # a constraint the validation could not foresee: nothing was kept
        customer_import.refresh_from_db()
        customer_import.state = CustomerImport.State.FAILED
        customer_import.error = f"Nothing was imported: {exc}"
        customer_import.save()
    return customer_import


def template_dataset() -> tablib.Dataset:
    """The downloadable template: every column and one example row."""
    example = {
        "name": "Example Telecom Ltd", "channels": "30", "flow_speed": "10", "status": "active",
        "debit_limit": "100.00", "minimum_payment": "10.00", "topup_currencies": "EUR, GBP",
        "tax_percent": "20", "currency": "USD", "paypal_email": "billing@example.com",
        "website": "https://example.com", "portal_access": "balance, cdrs, invoices", "tags": "wholesale, vip",
        "invoice_schedule": "monthly", "create_invoice_on_payment": "no", "invoice_due_days": "14",
        "rtp_firewall": "locked", "recording_retention_days": "0", "stir_shaken_attestation": "B",
        "address_line1": "1 Example Street", "city": "London", "postcode": "EC1A 1AA", "country": "GB",
        "approved_clis_only": "no", "email_verification_required": "no",
        "mobile_verification_required": "no", "timezone": "Europe/London",
    }
    headers = import_columns()
    dataset = tablib.Dataset(headers=headers, title="customers")
    dataset.append([example.get(column, "") for column in headers])
    return dataset

