# shellcheck shell=bash
# Sourced by the runme.sh of the targets that talk to confd: starts the confd 16.15 emulator of
# the collection (tests/emulator) on a per-run 127.x.y.z address and ephemeral ports, exports
# the XIVO_CONFD_* variables every module of the collection falls back to, and stops it (and
# removes its files) when the target's script exits. Nothing leaves 127.0.0.0/8.
set -eu

# ansible-test puts the collection under test first in ANSIBLE_COLLECTIONS_PATH.
collection_root=
IFS=: read -r -a _paths <<<"${ANSIBLE_COLLECTIONS_PATH:-}"
for _path in "${_paths[@]}"; do
    if [ -f "$_path/ansible_collections/xivo/confd/tests/emulator/__main__.py" ]; then
        collection_root="$_path/ansible_collections/xivo/confd"
        break
    fi
done
[ -n "$collection_root" ] || { echo "xivo.confd (with tests/emulator) is not in ANSIBLE_COLLECTIONS_PATH" >&2; exit 1; }

EMULATOR_DIR=$(mktemp -d)
export EMULATOR_DIR
emulator_pid=
stop_emulator() {
    if [ -n "$emulator_pid" ]; then
        kill "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
    fi
    rm -rf "$EMULATOR_DIR"
}
trap stop_emulator EXIT

address="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 2))"
(cd "$collection_root" && exec python -m tests.emulator --address "$address" --port 0 --auth-port 0 \
    --ca-out "$EMULATOR_DIR/ca.pem" >"$EMULATOR_DIR/emulator.out" 2>&1) &
emulator_pid=$!
for _ in $(seq 1 300); do
    grep -q '^listening' "$EMULATOR_DIR/emulator.out" 2>/dev/null && break
    kill -0 "$emulator_pid" 2>/dev/null || { cat "$EMULATOR_DIR/emulator.out" >&2; exit 1; }
    sleep 0.1
done
# listening https://127.a.b.c:PORT (auth AUTH_PORT)
read -r _ url _ auth_port < <(grep '^listening' "$EMULATOR_DIR/emulator.out")
port=${url##*:}
export XIVO_CONFD_HOST="$address"
export XIVO_CONFD_PORT="$port"
export XIVO_CONFD_AUTH_PORT="${auth_port%)}"
export XIVO_CONFD_USERNAME=admin
export XIVO_CONFD_PASSWORD=passadmin
export XIVO_CONFD_CA_PATH="$EMULATOR_DIR/ca.pem"
echo "confd emulator at https://$address:$port (xivo-auth $XIVO_CONFD_AUTH_PORT)"
