from connex.registry import registry


def navigation(request):
    user = getattr(request, "user", None)
    items = [
        item
        for item in registry.nav
        if item.permission is None or (user is not None and user.has_perm(item.permission))
    ]
    return {"nav_items": items}
