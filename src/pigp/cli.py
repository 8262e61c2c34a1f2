"""``pigp`` command line: one subcommand per area of the project.

Each entry maps a subcommand to the module whose ``main(argv)`` handles the rest of the
arguments; modules are imported only when their subcommand is used.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "invoice": (
        "pigp.formats.invoice.cli",
        "factures électroniques (UBL, CII, Factur-X) : inspecter, valider, présenter",
    ),
    "orc": ("pigp.formats.orcproof.cli", "ORC : vérifier un relevé de valeur probante, sans base"),
    "pes": ("pigp.formats.pes.cli", "flux PES V2 : valider, inspecter, extraire les PJ…"),
}


def _usage() -> str:
    lines = ["usage : pigp COMMANDE [ARGUMENTS…]", "", "commandes :"]
    lines += [f"  {name:<10} {label}" for name, (_, label) in sorted(SUBCOMMANDS.items())]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_usage())
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in SUBCOMMANDS:
        print(f"commande inconnue : {name}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(SUBCOMMANDS[name][0])
    return int(module.main(rest))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
