from django.apps import AppConfig


class OrcConfig(AppConfig):
    name = "pigp.orc"
    label = "orc"
    verbose_name = "ORC (archives)"

    def ready(self) -> None:
        from pigp.orc import receivers_adhesion  # noqa: F401 - the attestations' sweep
