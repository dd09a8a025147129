"""What every CSV the panel or portal hands out goes through."""

import re

from django_tables2.export import TableExport

# A cell a spreadsheet would run as a formula starts with one of these (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_cell(value):
    """The value as a spreadsheet-safe cell: text that would start a formula gets a leading
    apostrophe (shown as text, not run); real numbers such as -1969.20 or +44207… stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_row(values):
    return [csv_cell(value) for value in values]


class SafeTableExport(TableExport):
    """django-tables2's export of a whole table, every cell through csv_cell()."""

    def __init__(self, export_format, table, exclude_columns=None, dataset_kwargs=None):
        super().__init__(export_format, table, exclude_columns=exclude_columns, dataset_kwargs=dataset_kwargs)
        headers = self.dataset.headers
        rows = [csv_row(row) for row in self.dataset]
        self.dataset.wipe()
        self.dataset.headers = csv_row(headers) if headers else headers
        for row in rows:
            self.dataset.append(row)
