from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "invoicing"

    def ready(self):
        from connex.registry import (
            CardTab,
            NavItem,
            PortalNavItem,
            SettingsSection,
            register_card_tab,
            register_delete_guard,
            register_demo_loader,
            register_nav,
            register_portal_nav,
            register_settings_section,
            register_summary_action,
        )
        from customers.models import PortalSection

        from . import demo, views

        register_nav(NavItem("Invoices", "invoicing:invoice_list", order=40, icon="receipt", permission="invoicing.view_invoice"))
        register_card_tab(CardTab("invoices", "Invoices", "invoicing/partials/tab_invoices.html", order=40,
                                  context=views.invoices_tab_context, permission="invoicing.view_invoice"))
        register_card_tab(CardTab("payments", "Payments", "invoicing/partials/tab_payments.html", order=45,
                                  context=views.payments_tab_context, permission="invoicing.view_payment"))
        register_settings_section(SettingsSection("Invoice templates", "invoicing:template_list",
                                                  "HTML and CSS of invoice PDFs, with a preview.", order=40,
                                                  permission="invoicing.view_invoicetemplate"))
        register_summary_action("invoicing/partials/summary_actions.html")
        register_portal_nav(PortalNavItem(PortalSection.INVOICES, "Invoices", "invoicing_portal:invoice_list",
                                          order=40))
        register_portal_nav(PortalNavItem(PortalSection.PAYMENTS, "Payments", "invoicing_portal:payment_list",
                                          order=45))
        register_delete_guard(customers_with_billing_history)
        register_demo_loader(40, demo.load_demo_invoices)


def customers_with_billing_history(customer_ids):
    from .models import Invoice, Payment

    reasons = {}
    for customer_id in Invoice.objects.filter(customer_id__in=customer_ids).values_list("customer_id", flat=True):
        reasons[customer_id] = "has invoices"
    for customer_id in Payment.objects.filter(customer_id__in=customer_ids).values_list("customer_id", flat=True):
        reasons[customer_id] = "has invoices and payments" if customer_id in reasons else "has payments"
    return reasons
