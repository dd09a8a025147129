from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self):
        from connex.registry import (
            NavItem,
            SettingsSection,
            register_nav,
            register_settings_section,
        )

        register_nav(NavItem("Messages", "messaging:message_list", order=70, icon="envelope"))
        register_settings_section(SettingsSection(
            "Email", "messaging_settings:email", "From address and SMTP server for every email sent.", order=40))
        register_settings_section(SettingsSection(
            "SMS", "messaging_settings:sms", "Twilio account, sender and sending rate.", order=41))
