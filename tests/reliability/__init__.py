"""Reliability campaign of xivo.confd (randomized faults against emulated confd servers)."""
