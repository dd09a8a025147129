from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self):
        from connex.registry import (
            CardTab,
            NavItem,
            SettingsSection,
            register_card_tab,
            register_nav,
            register_settings_section,
        )

        from .selectors import customer_messages_context

        register_nav(NavItem("Messages", "messaging:message_list", order=70, icon="envelope", permission="messaging.view_message"))
        register_settings_section(SettingsSection(
            "Email", "messaging_settings:email", "From address and SMTP server for every email sent.", order=40,
            permission="messaging.edit_messaging_settings"))
        register_settings_section(SettingsSection(
            "SMS", "messaging_settings:sms", "Twilio account, sender and sending rate.", order=41,
            permission="messaging.edit_messaging_settings"))
        register_card_tab(CardTab("messages", "Messages", "messaging/partials/tab_messages.html", order=80,
                                  context=customer_messages_context, permission="messaging.view_message"))
