"""confd emulator (test-only): XiVO confd 16.x, and Wazo Platform 26.08 (wazo/). See README.md here."""
from .fleet import Fleet
from .server import EmulatorServer
from .wazo import WazoServer

__all__ = ['EmulatorServer', 'Fleet', 'WazoServer']
