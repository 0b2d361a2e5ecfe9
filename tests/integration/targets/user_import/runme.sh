#!/usr/bin/env bash
# xivo.confd.user_import against the confd 16.15 emulator: check mode, create, idempotent re-run,
# update, then the failure cases.
set -eu
source ../setup_emulator/emulator.sh
ansible-playbook user_import.yml "$@"
