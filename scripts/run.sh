#!/usr/bin/env bash
# Serve the portal and its task worker together; Ctrl-C stops both.
set -euo pipefail
host=${1:-127.0.0.1}
port=${2:-8000}
py=.venv/bin/python

$py manage.py pigp_worker &
worker=$!
trap 'kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  Portail de la gestion publique : http://$host:$port/
  Comptes de démonstration (mot de passe : Portail-Demo-2026) :
    ordonnateur@demo.pigp.fr   toutes les applications
    lecture@demo.pigp.fr       consultation seule
    comptable@demo.pigp.fr     comptable (code à 6 chiffres : make totp EMAIL=comptable@demo.pigp.fr)
    juge@demo.pigp.fr          juge des comptes
    admin@demo.pigp.fr         administrateur national (double authentification)
  Ctrl-C arrête le serveur et le worker.

MSG
$py manage.py runserver "$host:$port" --noreload
