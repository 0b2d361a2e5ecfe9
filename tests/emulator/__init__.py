"""confd 16.x emulator (test-only). See README.md in this folder."""
from .fleet import Fleet
from .server import EmulatorServer

__all__ = ['EmulatorServer', 'Fleet']
