from django.apps import AppConfig


class HeliosConfig(AppConfig):
    name = "pigp.helios"
    label = "helios"
    verbose_name = "Hélios (comptable)"

    def ready(self) -> None:
        from pigp.helios import receivers  # noqa: F401
