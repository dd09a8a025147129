"""authorize reads a switch's plain body without the serializer; it must agree with the serializer."""

from hypothesis import given, settings
from hypothesis import strategies as st

from calls.api import AuthorizeSerializer, authorize_values

FIELDS = ["call_id", "source_ip", "sip_user", "dialed", "cli", "pai", "switch_ip"]
VALUES = st.one_of(
    st.none(), st.integers(), st.booleans(), st.text(max_size=70), st.text(alphabet=" 0123456789+#*\n\x00é", max_size=45),
    st.from_regex(r"\A\+?[0-9#*]{1,42}\Z"), st.sampled_from(["", " ", "a" * 64, "a" * 65, "c" * 200, "c" * 201]))


@settings(max_examples=600, deadline=None)
@given(st.dictionaries(st.sampled_from([*FIELDS, "extra"]), VALUES))
def test_the_plain_reading_of_an_authorize_body_agrees_with_the_serializer(body):
    fast = authorize_values(body)
    serializer = AuthorizeSerializer(data=body)
    if fast is not None:
        assert serializer.is_valid(), serializer.errors
        assert fast == dict(serializer.validated_data)


def test_a_switch_s_body_is_read_without_the_serializer_and_others_are_left_to_it():
    body = {"call_id": "c1@198.51.100.7", "source_ip": "198.51.100.7", "dialed": "+447911123456",
            "cli": "442071234567", "switch_ip": "203.0.113.5", "sip_user": None}
    assert authorize_values(body) == {**body, "pai": ""}
    for bad in ({**body, "dialed": "44 79"}, {**body, "call_id": ""}, {k: v for k, v in body.items() if k != "dialed"},
                {**body, "source_ip": None}):
        assert authorize_values(bad) is None
        assert not AuthorizeSerializer(data=bad).is_valid()
    number = {**body, "cli": 442071234567}  # the serializer takes it as text
    assert authorize_values(number) is None
    serializer = AuthorizeSerializer(data=number)
    assert serializer.is_valid() and serializer.validated_data["cli"] == "442071234567"
