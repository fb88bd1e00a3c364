# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)

from __future__ import annotations


class ModuleDocFragment:
    """Attributes shared by the collection's modules."""

    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: With C(check_mode), the module plans and reports what it would change, and changes nothing.
  diff_mode:
    description: With C(--diff), the module shows each unit's state before and after (or as it would be, in check mode).
  platform:
    description: The kind of target host the module runs on.
    support: N/A
"""

    # For modules that only read state.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - The module only reads; it never changes the host.
  diff_mode:
    support: N/A
    details:
      - The module only reads; it never changes the host.
"""

    # Both modules are in the action group named in meta/runtime.yml.
    ACTION_GROUP = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/sysguard.systemd.masks) in C(module_defaults) to set default values for this module.
    support: full
    membership:
      - sysguard.systemd.masks
"""

    PLATFORM = r"""
options: {}
attributes:
  platform:
    platforms: posix
    details:
      - Hosts whose service manager is systemd.
"""
