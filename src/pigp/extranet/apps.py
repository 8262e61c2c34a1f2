from django.apps import AppConfig


class ExtranetConfig(AppConfig):
    name = "pigp.extranet"
    label = "extranet"
    verbose_name = "Extranet Hélios"
