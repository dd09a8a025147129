from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"

    def ready(self):
        from connex.registry import CardSection, NavItem, register_main_section, register_nav

        from .views import section_context

        register_nav(NavItem("Contacts", "contacts:contact_list", order=20, icon="person-lines-fill",
                             permission="contacts.view_contact"))
        register_main_section(CardSection("contacts", "contacts/partials/contacts_section.html", order=10,
                                          context=section_context, permission="contacts.view_contact"))
