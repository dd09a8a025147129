import pytest
from django.core.exceptions import ValidationError

from connex.phone import phone_e164


@pytest.mark.parametrize(("typed", "region", "e164"), [
    # A contact's phone typed in national form, read with the customer's country.
    ("020 7183 8750", "GB", "+442071838750"),
    ("020 7183 8750", "gb", "+442071838750"),
    # The international 00 prefix, with or without a region.
    ("0044 7911 123456", "GB", "+447911123456"),
    ("0044 7911 123456", None, "+447911123456"),
    # An SMS sender typed with punctuation.
    ("+1 (415) 555-0100", None, "+14155550100"),
    ("+1 (415) 555-0100", "GB", "+14155550100"),
    # A CLI as a switch sends it: international digits without the +.
    ("442071838750", None, "+442071838750"),
    ("442071838750", "", "+442071838750"),
    (" +442071838750 ", None, "+442071838750"),
])
def test_numbers_are_normalised_to_e164(typed, region, e164):
    assert phone_e164(typed, region) == e164


@pytest.mark.parametrize(("typed", "region", "message"), [
    ("abc", None, "“abc” is not a phone number. Use international form, e.g. +442071838750."),
    ("not a number", "US", "“not a number” is not a phone number. Use international form, e.g. +442071838750."),
    ("12345", "US", "“12345” is not a valid phone number for its country code."),
    ("+1 555", None, "“+1 555” is not a valid phone number for its country code."),
    # Without a country, national digits are read as international and refused, not guessed.
    ("02071838750", None, "“02071838750” is not a phone number. Use international form, e.g. +442071838750."),
    ("", "GB", "No phone number given."),
])
def test_bad_numbers_are_refused_with_the_reason(typed, region, message):
    with pytest.raises(ValidationError) as error:
        phone_e164(typed, region)
    assert error.value.messages == [message]
