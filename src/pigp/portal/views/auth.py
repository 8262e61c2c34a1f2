"""Login, logout, password reset and the second factor."""

from __future__ import annotations

import base64

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from pigp.core import journal
from pigp.core.http import AuthenticatedHttpRequest
from pigp.portal.forms import LoginForm, NewPasswordForm, ResetRequestForm, TokenForm
from pigp.ui.text import duree


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True
    extra_context = {"title": "Connexion"}


class LogoutView(auth_views.LogoutView):
    pass


@method_decorator(login_not_required, name="dispatch")
class ResetView(auth_views.PasswordResetView):
    form_class = ResetRequestForm
    template_name = "portal/password_reset_form.html"
    email_template_name = "portal/password_reset_email.txt"
    subject_template_name = "portal/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password_reset_done")
    extra_context = {"title": "Mot de passe oublié"}


@method_decorator(login_not_required, name="dispatch")
class ResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/password_reset_done.html"
    extra_context = {"title": "Courriel envoyé"}


@method_decorator(login_not_required, name="dispatch")
class ResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "portal/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password_reset_complete")
    extra_context = {"title": "Nouveau mot de passe"}

    def form_valid(self, form: NewPasswordForm) -> HttpResponse:  # type: ignore[override]  # its own form class
        response = super().form_valid(form)
        journal.record(
            "mot_de_passe_reinitialise", actor=form.user, obj=form.user, request=self.request
        )
        return response


@method_decorator(login_not_required, name="dispatch")
class ResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/password_reset_complete.html"
    extra_context = {"title": "Mot de passe modifié"}


def _throttled(data: dict | None) -> str:
    """django-otp waits longer after each wrong code: say how long, not « quelques instants »."""
    until = (data or {}).get("locked_until")
    wait = (until - timezone.now()).total_seconds() if until else 0
    return (
        f"Trop d'essais : patientez {duree(wait)} avant de saisir un nouveau code "
        "(le délai double à chaque code incorrect)."
    )


def _safe_next(request: AuthenticatedHttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


@require_http_methods(["GET", "POST"])
def otp_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Register a TOTP device: show the QR code, confirm it with a first code."""
    user = request.user
    if user.is_verified():
        messages.info(request, "La double authentification est déjà active sur votre compte.")
        return redirect("portal:account")
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        # Registering a new device must not stand in for the code of the existing one:
        # the password alone would otherwise be enough to pass the second factor.
        return redirect("portal:otp_verify")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name="Application d'authentification", confirmed=False
        )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, data = device.verify_is_allowed()
        if not allowed:
            form.add_error("token", _throttled(data))
        elif device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            journal.record("double_authentification_activee", actor=user, obj=user, request=request)
            messages.success(request, "La double authentification est activée.")
            return redirect("portal:home")
        else:
            form.add_error(
                "token", "Code incorrect ou expiré. Saisissez le code affiché maintenant."
            )
    uri = device.config_url
    qr_svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000091")
    secret = base64.b32encode(device.bin_key).decode("ascii")
    return render(
        request,
        "portal/otp_setup.html",
        {
            "title": "Activer la double authentification",
            "form": form,
            "qr_svg": qr_svg,
            "secret": secret,
            "required": user.requires_second_factor,
        },
    )


@require_http_methods(["GET", "POST"])
def otp_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if user.is_verified():
        return redirect(_safe_next(request))
    devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    if not devices:
        return redirect("portal:otp_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        for device in devices:
            allowed, data = device.verify_is_allowed()
            if not allowed:
                form.add_error("token", _throttled(data))
                break
            if device.verify_token(token):
                otp_login(request, device)
                journal.record(
                    "double_authentification_reussie", actor=user, obj=user, request=request
                )
                return redirect(_safe_next(request))
        else:
            journal.record("double_authentification_echouee", actor=user, obj=user, request=request)
            form.add_error("token", "Code incorrect ou expiré.")
    return render(
        request,
        "portal/otp_verify.html",
        {"title": "Double authentification", "form": form, "next": _safe_next(request)},
    )
