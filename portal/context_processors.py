from connex.registry import registry


def portal_navigation(request):
    contact = getattr(request, "portal_contact", None)
    if not request.path.startswith("/portal/"):
        return {}
    from connex.models import AccountOptions

    brand = {"portal_brand": AccountOptions.get()}
    if not contact:
        return brand
    customer = contact.customer
    items = [item for item in registry.portal_nav if not item.section or customer.shows_in_portal(item.section)]
    return {"portal_nav_items": items, **brand}
