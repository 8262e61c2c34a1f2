from django.apps import AppConfig


class ChorusConfig(AppConfig):
    name = "pigp.chorus"
    label = "chorus"
    verbose_name = "Chorus Pro"

    def ready(self) -> None:
        from pigp.chorus import receivers  # connects the Hélios signals
        from pigp.helios import documents

        documents.register("chorus", receivers.invoices_of_pieces)
        documents.register_content("chorus", receivers.invoice_files_of_pieces)
