"""Field validators every app uses."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# Embeddings, overrides and isolates: they reorder how text around them is shown ("Trojan Source").
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_BREAKS = frozenset("\n\r\t")


@deconstructible
class PlainTextValidator:
    """Refuses control characters and bidirectional overrides in names and text; a multi-line
    field still takes line breaks and tabs."""

    def __init__(self, multiline=False):
        self.multiline = multiline

    def __call__(self, value):
        for position, char in enumerate(str(value), start=1):
            if char in BIDI_CONTROLS:
                raise ValidationError(
                    "Remove the invisible text-direction character (U+%(code)04X) at position %(position)s.",
                    code="bidi_control", params={"code": ord(char), "position": position})
            if unicodedata.category(char) == "Cc" and not (self.multiline and char in LINE_BREAKS):
                raise ValidationError(
                    "Remove the control character (U+%(code)04X) at position %(position)s.",
                    code="control_character", params={"code": ord(char), "position": position})

    def __eq__(self, other):
        return isinstance(other, PlainTextValidator) and other.multiline == self.multiline


plain_text = PlainTextValidator()
plain_multiline_text = PlainTextValidator(multiline=True)
