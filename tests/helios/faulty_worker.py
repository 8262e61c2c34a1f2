"""A real `pigp_worker` process with a fault injected into Hélios' ingest (tests only).

Run as a script, with PIGP_TEST_FAULT set to:
- ``block:<path>``: the ingest writes the flow's id to <path>, then waits until the process is
  killed (the test kills it there: after the acknowledgement, before any ledger write);
- ``fail-once`` / ``fail-always``: the first (or every) bordereau raises after its pièces are
  written in its open transaction, so a rollback that left anything behind would show.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import django

if TYPE_CHECKING:  # imported at run time once Django is set up
    from pigp.helios.reception import _Writer
    from pigp.passerelle.models import Flux


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pigp.settings")
    django.setup()
    from django.core.management import call_command

    from pigp.helios import reception

    kind, _, arg = os.environ["PIGP_TEST_FAULT"].partition(":")
    if kind == "block":

        def blocked(flux: Flux) -> None:
            Path(arg).write_text(str(flux.pk))
            threading.Event().wait()  # until SIGKILL

        reception.ingest = blocked
    elif kind in ("fail-once", "fail-always"):
        real_flush = reception._Writer.flush
        calls = []

        def failing(self: _Writer) -> None:
            real_flush(self)
            calls.append(1)
            if kind == "fail-always" or len(calls) == 1:
                raise RuntimeError("panne injectée pendant l'écriture du bordereau")

        reception._Writer.flush = failing
    else:
        raise SystemExit(f"unknown fault {kind!r}")
    call_command("pigp_worker", "--interval", "0.1", "--sweep-every", "0.5")


if __name__ == "__main__":
    main()
