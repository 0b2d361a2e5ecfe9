#!/usr/bin/env bash
# xivo.confd.user_export against the confd 16.15 emulator: check mode, the change, an idempotent re-run,
# then the failure cases.
set -eu
source ../setup_emulator/emulator.sh
ansible-playbook user_export.yml "$@"
