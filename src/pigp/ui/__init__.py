"""The shared interface layer: layout, error pages and the DSFR pieces every app uses.

It sits just above `core`: apps may use it, it imports no app of its own level or higher.
"""
