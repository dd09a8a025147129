"""Generated passwords: portal logins, SIP users and staff accounts all get the same kind."""

import secrets
import string

# Symbols that survive being typed into a phone's web form, a URL or a shell without quoting.
SYMBOLS = "!%+-=@_"
ALPHABET = string.ascii_letters + string.digits + SYMBOLS
LENGTH = 16


def password_generate(length: int = LENGTH) -> str:
    """A random password with lower and upper case letters, a digit and a symbol."""
    if length < 4:
        raise ValueError("A generated password needs at least four characters.")
    while True:
        password = "".join(secrets.choice(ALPHABET) for _ in range(length))
        if (any(c.islower() for c in password) and any(c.isupper() for c in password)
                and any(c.isdigit() for c in password) and any(c in SYMBOLS for c in password)):
            return password
