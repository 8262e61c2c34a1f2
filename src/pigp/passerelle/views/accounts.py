"""The local administrator's pages: service accounts, their API tokens and SSH keys.

A new token is shown in the answer to the POST that created it, and nowhere else: it is not
put in the session (which lives in the database) nor in a redirect.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pigp.core.http import AuthenticatedHttpRequest
from pigp.core.models import Application, Collectivite, User
from pigp.passerelle import access, accounts
from pigp.passerelle.models import ServiceAccount, SshKey
from pigp.ui.forms import PortalForm


class AccountForm(PortalForm):
    name = forms.CharField(
        label="Nom du compte",
        max_length=120,
        help_text="Le logiciel ou le prestataire qui l'utilisera, par exemple « Logiciel financier ».",
    )
    collectivites: forms.ModelMultipleChoiceField[Collectivite] = forms.ModelMultipleChoiceField(
        label="Collectivités",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text="Les collectivités pour lesquelles ce compte pourra agir.",
    )
    applications = forms.MultipleChoiceField(
        label="Applications",
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        initial=[Application.PASSERELLE],
    )
    can_write = forms.BooleanField(
        label="Peut déposer des flux (sinon : consultation et retrait des retours seulement)",
        required=False,
        initial=True,
    )

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        collectivites = self.fields["collectivites"]
        assert isinstance(collectivites, forms.ModelMultipleChoiceField)
        collectivites.queryset = accounts.administered_collectivites(user)
        apps: set[str] = set().union(*accounts.administered(user).values())
        applications = self.fields["applications"]
        assert isinstance(applications, forms.ChoiceField)
        applications.choices = [
            (value, label) for value, label in Application.choices if value in apps
        ]


class TokenForm(PortalForm):
    label = forms.CharField(
        label="Libellé du jeton",
        max_length=120,
        required=False,
        help_text="Pour le reconnaître plus tard, par exemple « serveur de production ».",
    )


class KeyForm(PortalForm):
    public_key = forms.CharField(
        label="Clé publique SSH",
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="Le contenu du fichier « .pub » (format OpenSSH : « ssh-ed25519 AAAA… »).",
    )
    label = forms.CharField(label="Libellé", max_length=120, required=False)


def _require_admin(user: User) -> None:
    if not accounts.is_account_admin(user):
        raise Http404("Page introuvable.")


@require_http_methods(["GET", "POST"])
def account_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    _require_admin(user)
    form = AccountForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            account = accounts.create_account(
                user,
                name=form.cleaned_data["name"],
                collectivites=form.cleaned_data["collectivites"],
                applications=form.cleaned_data["applications"],
                can_write=form.cleaned_data["can_write"],
                request=request,
            )
        except accounts.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Compte de service « {account.name} » créé. Créez-lui maintenant un jeton "
                "d'API ou enregistrez sa clé SSH.",
            )
            return redirect("passerelle_comptes:detail", account.pk)
    rows = list(accounts.accounts_for(user))
    return render(
        request,
        "passerelle/accounts.html",
        {"title": "Comptes de service", "accounts": rows, "form": form},
    )


def _detail(
    request: AuthenticatedHttpRequest,
    account: ServiceAccount,
    *,
    token_form: TokenForm | None = None,
    key_form: KeyForm | None = None,
    new_token: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    return render(
        request,
        "passerelle/accounts_detail.html",
        {
            "title": f"Compte de service « {account.name} »",
            "account": account,
            "manageable": accounts.may_manage(user, account),
            "tokens": account.tokens.order_by("revoked_at", "-created_at"),
            "keys": account.ssh_keys.order_by("created_at"),
            "token_form": token_form or TokenForm(),
            "key_form": key_form or KeyForm(),
            "new_token": new_token,
            "application_labels": [
                Application(a).label for a in account.applications if a in Application.values
            ],
        },
        status=status,
    )


@require_GET
def account_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_admin(request.user)
    return _detail(request, accounts.get_account(request.user, pk))


@never_cache
@require_POST
def token_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_admin(request.user)
    account = accounts.get_account(request.user, pk, manage=True)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _detail(request, account, token_form=form, status=400)
    try:
        issued = accounts.issue_token(
            request.user, account, label=form.cleaned_data["label"], request=request
        )
    except accounts.AccountError as exc:
        form.add_error(None, str(exc))
        return _detail(request, account, token_form=form, status=400)
    return _detail(request, account, new_token=issued.clear)


@require_POST
def token_revoke(request: AuthenticatedHttpRequest, pk: int, token_pk: int) -> HttpResponse:
    _require_admin(request.user)
    account = accounts.get_account(request.user, pk)
    token = accounts.get_token(request.user, account, token_pk)
    accounts.revoke_token(request.user, token, request=request)
    messages.success(request, f"Jeton {token.prefix}… révoqué : il ne fonctionne plus.")
    return redirect("passerelle_comptes:detail", account.pk)


@require_POST
def account_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_admin(request.user)
    account = accounts.get_account(request.user, pk)
    accounts.revoke_account(request.user, account, request=request)
    messages.success(
        request,
        f"Compte de service « {account.name} » révoqué : ses jetons et ses clés SSH ne "
        "fonctionnent plus.",
    )
    return redirect("passerelle_comptes:list")


@require_POST
def account_key_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_admin(request.user)
    account = accounts.get_account(request.user, pk, manage=True)
    form = KeyForm(request.POST)
    if form.is_valid():
        try:
            key = accounts.register_ssh_key(
                request.user,
                form.cleaned_data["public_key"],
                label=form.cleaned_data["label"],
                owner_account=account,
                request=request,
            )
        except accounts.AccountError as exc:
            form.add_error("public_key", str(exc))
        else:
            messages.success(request, f"Clé SSH {key.fingerprint} enregistrée.")
            return redirect("passerelle_comptes:detail", account.pk)
    return _detail(request, account, key_form=form, status=400)


@require_POST
def account_key_remove(request: AuthenticatedHttpRequest, pk: int, key_pk: int) -> HttpResponse:
    _require_admin(request.user)
    account = accounts.get_account(request.user, pk)
    key = SshKey.objects.filter(account=account, pk=key_pk).first()
    if key is None:
        raise Http404("Clé introuvable.")
    accounts.remove_ssh_key(request.user, key, request=request)
    messages.success(request, f"Clé SSH {key.fingerprint} supprimée.")
    return redirect("passerelle_comptes:detail", account.pk)


def _require_passerelle_user(user: User) -> None:
    if not access.readable_collectivite_ids(user):
        raise Http404("Page introuvable.")


@require_http_methods(["GET", "POST"])
def my_keys(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A user's own SSH keys, to reach the SFTP server without a password."""
    user = request.user
    _require_passerelle_user(user)
    form = KeyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                key = accounts.register_ssh_key(
                    user,
                    form.cleaned_data["public_key"],
                    label=form.cleaned_data["label"],
                    owner_user=user,
                    request=request,
                )
            except accounts.AccountError as exc:
                form.add_error("public_key", str(exc))
            else:
                messages.success(request, f"Clé SSH {key.fingerprint} enregistrée.")
                return redirect("passerelle_comptes:my_keys")
        status = 400
    return render(
        request,
        "passerelle/accounts_keys.html",
        {
            "title": "Mes clés SSH",
            "keys": accounts.keys_of_user(user),
            "form": form,
            "is_account_admin": accounts.is_account_admin(user),
        },
        status=status,
    )


@require_POST
def my_key_remove(request: AuthenticatedHttpRequest, key_pk: int) -> HttpResponse:
    _require_passerelle_user(request.user)
    key = accounts.get_own_key(request.user, key_pk)
    accounts.remove_ssh_key(request.user, key, request=request)
    messages.success(request, f"Clé SSH {key.fingerprint} supprimée.")
    return redirect("passerelle_comptes:my_keys")
