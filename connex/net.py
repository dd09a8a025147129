from django.conf import settings


def client_ip(request) -> str:
    """The client's address, used for IP whitelists, sign-in lockouts and audit.

    Behind N reverse proxies that each append to X-Forwarded-For, set PORTAL_TRUSTED_PROXY_COUNT=N:
    the address is then read N entries from the right, which a client cannot forge.
    """
    proxies = getattr(settings, "PORTAL_TRUSTED_PROXY_COUNT", 0)
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")
