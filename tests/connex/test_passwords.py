import pytest
from django.contrib.auth.password_validation import validate_password

from connex.passwords import SYMBOLS, password_generate


def test_generated_passwords_mix_every_kind_of_character_and_pass_the_validators():
    passwords = {password_generate() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) == 16
        assert any(c.islower() for c in password) and any(c.isupper() for c in password)
        assert any(c.isdigit() for c in password) and any(c in SYMBOLS for c in password)
        validate_password(password)


def test_a_password_too_short_to_hold_every_kind_is_refused():
    assert len(password_generate(4)) == 4
    with pytest.raises(ValueError):
        password_generate(3)
