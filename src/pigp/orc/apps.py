from django.apps import AppConfig


class OrcConfig(AppConfig):
    name = "pigp.orc"
    label = "orc"
    verbose_name = "ORC (archives)"
