#!/usr/bin/env bash
# xivo.confd.user_csv on the controller: check mode, convert, idempotent re-run, then the failure
# cases. No server is involved.
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ansible-playbook user_csv.yml -e "work=$work" "$@"
