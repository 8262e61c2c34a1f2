from django.apps import AppConfig


class ExtranetConfig(AppConfig):
    name = "pigp.extranet"
    label = "extranet"
    verbose_name = "Extranet Hélios"

    def ready(self) -> None:
        from pigp.extranet import receivers  # noqa: F401  (connects the worker hook)
