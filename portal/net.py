"""Where a request came from: one rule for the portal, the panel sign-in lockout and audit."""

from connex.net import client_ip

__all__ = ["client_ip"]
