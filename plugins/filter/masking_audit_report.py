# Copyright: sysguard.systemd contributors
# GNU General Public License v3.0+ (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: masking_audit_report
short_description: Render a fleet's masking audit as JUnit XML or a Markdown summary
version_added: 1.0.0
description:
  - Takes the audits of many hosts (P(sysguard.systemd.masking_audit#filter)), by host,
    and renders them for CI systems and people.
  - V(junit) is one test suite per host, with one test case per control the baseline
    names (named by its ID and title) and one per other unit, unexpected masks
    included; drift is a failure, an excepted unit is skipped.
  - V(markdown) is a table of hosts by class, the hosts that drifted most first, then
    each drifted host's findings.
author:
  - sysguard.systemd maintainers (@sysguard)
positional: format
options:
  _input:
    description: The audits, by host name.
    type: dict
    required: true
  format:
    description: What to render.
    type: str
    choices: [junit, markdown]
    required: true
"""

EXAMPLES = r"""
- name: Write the fleet's JUnit report
  ansible.builtin.copy:
    dest: reports/masking-audit.xml
    content: "{{ audits | sysguard.systemd.masking_audit_report('junit') }}"
    mode: "0644"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
_value:
  description: The report's text.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.sysguard.systemd.plugins.module_utils.audit import render_junit, render_markdown

_RENDERERS = {"junit": render_junit, "markdown": render_markdown}


def masking_audit_report(reports, format):  # pylint: disable=redefined-builtin
    if format not in _RENDERERS:
        raise AnsibleFilterError("masking_audit_report: format must be junit or markdown, not %r" % (format,))
    return _RENDERERS[format](dict(reports))


class FilterModule:
    def filters(self):
        return {"masking_audit_report": masking_audit_report}
