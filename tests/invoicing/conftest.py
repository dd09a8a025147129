import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader

from tests.factories import HourlySummaryFactory


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def usage():
    """usage(customer, day, destination, minutes, charge, hours=1): hourly summary rows for one UTC day."""

    def make(customer, day, destination="United States - Fixed", minutes=10, charge="1.000000", hours=1):
        rows = []
        for hour in range(hours):
            rows.append(HourlySummaryFactory(
                customer=customer, destination=destination,
                hour=datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour),
                billed_duration=minutes * 60, duration=minutes * 60, charge=Decimal(charge)))
        return rows

    return make
