"""Run the gateway's SFTP server: ``manage.py sftp_server --host 127.0.0.1 --port 2222``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serveur SFTP de la passerelle (dépôt dans /depot, boîte aux lettres dans /retour)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="adresse d'écoute")
        parser.add_argument("--port", type=int, default=2222, help="port d'écoute")
        parser.add_argument(
            "--host-key",
            type=Path,
            default=None,
            help=f"clé d'hôte (générée au premier démarrage ; défaut {settings.PIGP_SFTP_HOST_KEY})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # asyncssh logs every packet exchange at INFO: keep its warnings only.
        logging.getLogger("asyncssh").setLevel(logging.WARNING)
        asyncio.run(self._serve(options["host"], options["port"], options["host_key"]))

    async def _serve(self, host: str, port: int, host_key: Path | None) -> None:
        from pigp.passerelle.sftp.server import SftpService

        service = SftpService(host, port, host_key_path=host_key)
        bound = await service.start()
        assert service.host_key is not None
        self.stdout.write(
            f"Serveur SFTP à l'écoute sur {host}:{bound} "
            f"(clé d'hôte {service.host_key.get_fingerprint('sha256')}). Ctrl-C pour arrêter."
        )
        self.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        self.stdout.write("Arrêt du serveur SFTP…")
        await service.stop()
