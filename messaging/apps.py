from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self):
        from connex.registry import (
            CardTab,
            HealthCheck,
            NavItem,
            SettingsSection,
            register_card_tab,
            register_health_check,
            register_nav,
            register_settings_section,
        )

        from .selectors import failed_messages_health
        from .views import customer_messages_context

        register_nav(NavItem("Messages", "messaging:message_list", order=70, icon="envelope", permission="messaging.view_message"))
        register_health_check(HealthCheck("failed_messages", "Failed messages (24 h)", failed_messages_health,
                                          order=60))
        register_settings_section(SettingsSection(
            "Email", "messaging_settings:email", "From address and SMTP server for every email sent.", order=40,
            permission="messaging.edit_messaging_settings"))
        register_settings_section(SettingsSection(
            "SMS", "messaging_settings:sms", "Twilio account, sender and sending rate.", order=41,
            permission="messaging.edit_messaging_settings"))
        register_card_tab(CardTab("messages", "Messages", "messaging/partials/tab_messages.html", order=80,
                                  context=customer_messages_context, permission="messaging.view_message"))
