from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "pigp.ui"
    label = "ui"
    verbose_name = "Interface"
