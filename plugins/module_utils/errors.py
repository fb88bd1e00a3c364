# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)
"""The one way the collection's modules fail."""

from __future__ import annotations


class ModuleFailure(Exception):
    """A module run failed: ``msg`` says why, ``result`` what it did before failing.

    Every module turns it into ``module.fail_json(msg=msg, **result)``.
    """

    def __init__(self, msg, result=None):
        super().__init__(msg)
        self.msg = msg
        self.result = result or {}
