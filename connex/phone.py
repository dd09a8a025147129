"""Phone numbers in E.164: the one place a typed, imported or signalled number is normalised."""

import phonenumbers
from django.core.exceptions import ValidationError

EXAMPLE = "+442071838750"


def phone_e164(value: str, region: str | None = None) -> str:
    """`value` in E.164 (`+442071838750`), or ValidationError saying why it cannot be.

    Accepted: international form with + or the 00 prefix, national form when `region` (ISO 3166
    alpha-2, any case) says which country, and, without a region, digits in international form
    without the + (as switches send CLIs). Spaces, dots, dashes and brackets are ignored.
    """
    text = (value or "").strip()
    if not text:
        raise ValidationError("No phone number given.", code="invalid_phone")
    region = (region or "").strip().upper() or None
    if text.startswith("00"):
        text = "+" + text[2:]
    elif region is None and not text.startswith("+"):
        text = "+" + text
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"“{value}” is not a phone number. Use international form, e.g. {EXAMPLE}.",
                              code="invalid_phone") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(f"“{value}” is not a valid phone number for its country code.",
                              code="invalid_phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
