from django.apps import AppConfig


class OrcConfig(AppConfig):
    name = "pigp.orc"
    label = "orc"
    verbose_name = "ORC (archives)"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from pigp.orc import (
            receivers,  # noqa: F401 - connects Hélios' signals
            receivers_adhesion,  # noqa: F401 - the attestations' sweep
            receivers_elimination,  # noqa: F401  (connects the worker hook)
            receivers_preuve,  # noqa: F401  (seals and audits in the sweep)
        )
        from pigp.orc.search import ensure_index

        # SQLite rebuilds a table that a later migration alters, dropping the triggers and
        # indexes Django does not know of: put them back after every migrate.
        post_migrate.connect(ensure_index, sender=self)
