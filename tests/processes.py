# -*- coding: utf-8 -*-
"""The process tree under a pid, read from /proc (Linux), for the tests and the benchmarks."""

from __future__ import annotations

import os


def descendants(pid):
    """Every process below ``pid``, depth first (workers detach into sessions of their own, but
    stay its children). A process that ends while /proc is read is left out."""
    children = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/stat' % entry) as handle:
                    parent = int(handle.read().rsplit(')', 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found
