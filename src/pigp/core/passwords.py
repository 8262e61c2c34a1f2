"""Password rules beyond Django's: ANSSI puts length first, so we only refuse obvious patterns."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class RepeatedCharacterValidator:
    """Refuse passwords made of one character repeated (``aaaaaaaaaaaa``)."""

    def validate(self, password: str, user: object = None) -> None:
        if password and len(set(password)) < 4:
            raise ValidationError(
                "Ce mot de passe contient trop peu de caractères différents.",
                code="password_too_repetitive",
            )

    def get_help_text(self) -> str:
        return "Votre mot de passe doit contenir au moins quatre caractères différents."
