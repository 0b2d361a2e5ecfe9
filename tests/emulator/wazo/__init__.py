"""Wazo Platform 26.08 profile of the emulator: wazo-confd + wazo-auth with tenants (test-only).

Built from the observations of an unmodified wazo-confd 26.08 (tests/emulator/README.md, section
"Wazo Platform 26.08 profile"); like the 16.x emulator it never imports plugins/."""
from .server import WazoServer

__all__ = ['WazoServer']
