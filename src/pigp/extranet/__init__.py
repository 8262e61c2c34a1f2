"""Extranet Hélios: read-only consultation of what Hélios holds, for the collectivités."""
