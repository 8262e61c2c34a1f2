"""Views of Hélios on the comptable's side (agents of the poste only)."""
