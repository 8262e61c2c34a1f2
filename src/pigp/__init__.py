"""pigp — Portail Internet de la Gestion Publique, open-source re-creation."""

__version__ = "0.1.0"
