#!/usr/bin/env bash
# Serve the portal with its task worker and its SFTP server; Ctrl-C stops them all.
set -euo pipefail
host=${1:-127.0.0.1}
port=${2:-8000}
py=.venv/bin/python

sftp_port=${PIGP_SFTP_PORT:-2222}
# Mails link to the address the portal is served on; DEBUG stays off (docs/development.md).
export SITE_URL=${SITE_URL:-http://$host:$port}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-$host,127.0.0.1,localhost}
$py manage.py pigp_worker &
worker=$!
$py manage.py sftp_server --host "$host" --port "$sftp_port" &
sftp=$!
trap 'kill "$worker" "$sftp" 2>/dev/null; wait "$worker" "$sftp" 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  Portail de la gestion publique : http://$host:$port/
  Comptes de démonstration (mot de passe : Portail-Demo-2026) :
    ordonnateur@demo.pigp.fr   toutes les applications
    lecture@demo.pigp.fr       consultation seule
    comptable@demo.pigp.fr     comptable (code à 6 chiffres : make totp EMAIL=comptable@demo.pigp.fr)
    juge@demo.pigp.fr          juge des comptes
    admin@demo.pigp.fr         administrateur national (double authentification)
  SFTP : sftp -P $sftp_port ordonnateur@demo.pigp.fr@$host (même mot de passe)
  API  : http://$host:$port/api/docs/
  Ctrl-C arrête le serveur, le worker et le serveur SFTP.

MSG
$py manage.py runserver "$host:$port" --noreload
