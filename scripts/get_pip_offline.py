# Offline stand-in for the get-pip script ansible-test downloads from a host we cannot reach.
# ansible-test runs it (through its quiet_pip wrapper) inside a fresh venv with pip's own
# arguments, e.g. "--disable-pip-version-check pip==24.2 --no-setuptools --no-wheel".
# We bootstrap pip from the standard library (ensurepip), then let that pip install the
# requested packages from the package index, which is reachable.
import subprocess
import sys

args = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'])
if args:
    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--quiet'] + args)
