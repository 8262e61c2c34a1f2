from django.apps import AppConfig


class PasserelleConfig(AppConfig):
    name = "pigp.passerelle"
    label = "passerelle"
    verbose_name = "Passerelle"
