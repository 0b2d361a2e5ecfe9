# shellcheck shell=bash
# Shared setup of the demo, test and benchmark commands. Source it, do not run it.
# Creates (once) a venv in .venv with requirements-dev.txt, and exposes the checkout as
# ansible_collections/xivo/confd so Python, ansible-playbook and ansible-test find it.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON_BIN=${PYTHON:-python3.11}
command -v "$PYTHON_BIN" >/dev/null 2>&1 || PYTHON_BIN=python3
VENV="$REPO_ROOT/.venv"
stamp_of() { cat "$REPO_ROOT/requirements.txt" "$REPO_ROOT/requirements-dev.txt" | sha256sum | cut -c1-16; }
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.stamp" 2>/dev/null)" != "$(stamp_of)" ]; then
    echo "Preparing the virtual environment in $VENV (first run only)..." >&2
    "$PYTHON_BIN" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REPO_ROOT/requirements-dev.txt"
    stamp_of > "$VENV/.stamp"
fi
export PATH="$VENV/bin:$PATH"
# A collections tree outside the checkout (a link inside it would make tools walk in circles).
COLLECTIONS_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/xivo.confd/$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-12)"
COLLECTION_DIR="$COLLECTIONS_ROOT/ansible_collections/xivo/confd"
mkdir -p "$(dirname "$COLLECTION_DIR")"
ln -sfn "$REPO_ROOT" "$COLLECTION_DIR"
export PYTHONPATH="$COLLECTIONS_ROOT${PYTHONPATH:+:$PYTHONPATH}"
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS_ROOT"
export ANSIBLE_ROLES_PATH="$REPO_ROOT/roles"
export ANSIBLE_NOCOLOR=1
export ANSIBLE_PYTHON_INTERPRETER="$VENV/bin/python"
export XIVO_CONFD_REPO="$REPO_ROOT"
