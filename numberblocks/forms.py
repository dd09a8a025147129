from connex.forms import OptionsForm

from .models import NumberRangeOptions

# Blocks are int4 ranges in PostgreSQL.
INT4_MAX = 2**31 - 1


class NumberRangeOptionsForm(OptionsForm):
    """Settings → Number blocks: both values or neither, and a first block that fits."""

    class Meta:
        model = NumberRangeOptions
        fields = ["number_range_start", "block_size"]
        help_texts = {
            "number_range_start": "First internal number handed out, e.g. 1000.",
            "block_size": "Numbers per block, e.g. 1000 gives 1000–1999, then 2000–2999. "
                          "Changing it never moves blocks already assigned.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["block_size"].min_value = 1
        self.fields["block_size"].widget.attrs["min"] = 1

    def clean(self):
        cleaned = super().clean()
        start, size = cleaned.get("number_range_start"), cleaned.get("block_size")
        if (start is None) != (size is None):
            missing = "block_size" if size is None else "number_range_start"
            self.add_error(missing, "Set both Number Range Start and Block Size, or neither.")
        elif size is not None and size < 1:
            self.add_error("block_size", "Block size must be at least 1.")
        elif start is not None and start + size - 1 > INT4_MAX:
            self.add_error("block_size", f"The first block would end above {INT4_MAX}.")
        return cleaned
