# -*- coding: utf-8 -*-
"""The emulated fleets of the integration tests: ephemeral ports, one web-services user."""

from __future__ import annotations

from tests.emulator import Fleet


def emulated_fleet(count, first_address, user, password, **seed):
    """A Fleet (a context manager) whose servers know the web-services user ``user``, on
    ephemeral ports so that test files running side by side never collide."""
    full = {'ws_users': [{'login': user, 'password': password, 'acls': ['confd.#']}]}
    full.update(seed)
    return Fleet(count, first_address=first_address, port=0, auth_port=0, seed=full)
