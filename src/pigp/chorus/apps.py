from django.apps import AppConfig


class ChorusConfig(AppConfig):
    name = "pigp.chorus"
    label = "chorus"
    verbose_name = "Chorus Pro"
