from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "pigp.portal"
    label = "portal"
    verbose_name = "Portail"
