from django.apps import AppConfig


class OrcConfig(AppConfig):
    name = "pigp.orc"
    label = "orc"
    verbose_name = "ORC (archives)"

    def ready(self) -> None:
        from pigp.orc import (
            receivers,  # noqa: F401 - connects Hélios' signals
            receivers_adhesion,  # noqa: F401 - the attestations' sweep
            receivers_elimination,  # noqa: F401  (connects the worker hook)
            receivers_preuve,  # noqa: F401  (seals and audits in the sweep)
        )
