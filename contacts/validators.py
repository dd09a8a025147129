"""Field rules for contacts: IP whitelist entries as addresses or networks, notes holding passwords."""

import ipaddress
import re

from django.core.exceptions import ValidationError


def parse_network(entry: str):
    """An ip_network for one whitelist entry (a bare address is a /32 or /128)."""
    return ipaddress.ip_network(entry.strip(), strict=False)


def normalise_ip_whitelist(entries) -> list[str]:
    """Entries as canonical text; ValidationError naming every bad entry."""
    cleaned, bad = [], []
    for entry in entries or []:
        entry = entry.strip()
        if not entry:
            continue
        try:
            network = parse_network(entry)
        except ValueError:
            bad.append(entry)
            continue
        text = str(network.network_address) if network.num_addresses == 1 and "/" not in entry else str(network)
        if text not in cleaned:
            cleaned.append(text)
    if bad:
        raise ValidationError(
            f"Not an IPv4/IPv6 address or CIDR network: {', '.join(bad)}.", code="invalid_ip")
    return cleaned


def split_whitelist_text(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,;]+", text or "") if part]


def ip_allowed(whitelist, address: str) -> bool:
    """True when the whitelist is empty or `address` falls in one of its entries."""
    if not whitelist:
        return True
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for entry in whitelist:
        try:
            if ip in parse_network(entry):
                return True
        except (ValueError, TypeError):
            continue
    return False


# Notes that look like they hold a credential: "password: x", "pwd=x", "pass - x", "pin: 1234".
_PASSWORD_HINT = re.compile(r"\b(pass(word|wd|phrase)?|pwd|pw|secret|pin|login)\b\s*[:=\-]\s*\S+", re.IGNORECASE)


def looks_like_password(text: str) -> bool:
    return bool(text and _PASSWORD_HINT.search(text))
