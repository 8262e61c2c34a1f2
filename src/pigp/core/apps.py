from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pigp.core"
    label = "core"
    verbose_name = "Organisations et habilitations"

    def ready(self) -> None:
        from pigp.core import signals  # noqa: F401
