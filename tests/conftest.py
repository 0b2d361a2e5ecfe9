# -*- coding: utf-8 -*-
"""Shared pytest setup of the xivo.confd tests."""

from __future__ import annotations

import os

from hypothesis import settings

# The test command runs the property tests derandomized (the same examples on every run), so a
# CI run is reproducible; a developer run explores new examples each time.
settings.register_profile('ci', derandomize=True, deadline=None, print_blob=True)
settings.register_profile('dev', deadline=None, print_blob=True)
# ansible-test units passes no HYPOTHESIS_PROFILE to pytest (it filters the environment) and is how
# scripts/test runs the unit tests: under it (it sets ANSIBLE_CONTROLLER_MIN_PYTHON_VERSION), 'ci'.
_UNDER_ANSIBLE_TEST = 'ANSIBLE_CONTROLLER_MIN_PYTHON_VERSION' in os.environ
settings.load_profile(os.environ.get('HYPOTHESIS_PROFILE', 'ci' if _UNDER_ANSIBLE_TEST else 'dev'))
