from connex.registry import registry


def portal_navigation(request):
    contact = getattr(request, "portal_contact", None)
    if not request.path.startswith("/portal/"):
        return {}
    from .branding import request_brand, section_offered

    brand = {"portal_brand": request_brand(request)}
    if not contact:
        return brand
    items = [item for item in registry.portal_nav
             if (not item.section or section_offered(request, item.section))
             and (item.available is None or item.available(request))]
    return {"portal_nav_items": items, **brand}
