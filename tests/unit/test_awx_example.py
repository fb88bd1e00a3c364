"""The AWX example (examples/awx/ and docs/awx.md) against what the window reads.

No controller runs here, so these checks hold the survey to the controller's own
rules for a survey and to the variables the maintenance window playbook and the
role's window entry points actually read.
"""

from __future__ import annotations

import json
import os
import re

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
# The controller's question types, and the Python type each one's answer has.
QUESTION_TYPES = {
    "text": str, "textarea": str, "password": str, "integer": int, "float": (int, float),
    "multiplechoice": str, "multiselect": list,
}


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return handle.read()


def survey():
    return json.loads(read("examples", "awx", "window-survey.json"))


def questions():
    return {question["variable"]: question for question in survey()["spec"]}


def test_survey_asks_only_for_variables_the_window_reads():
    specs = yaml.safe_load(read("roles", "masking", "meta", "argument_specs.yml"))["argument_specs"]
    role_variables = set(specs["window_open"]["options"]) | set(specs["window_close"]["options"])
    playbook = read("playbooks", "maintenance_window.yml")
    playbook_variables = {name for name in ("window", "window_hosts") if re.search(r"\b%s\b" % name, playbook)}
    assert playbook_variables == {"window", "window_hosts"}
    unknown = set(questions()) - role_variables - playbook_variables
    assert not unknown, "the survey asks for variables nothing reads: %s" % sorted(unknown)


def test_window_choices_are_the_ones_the_playbook_accepts():
    play = yaml.safe_load(read("playbooks", "maintenance_window.yml"))[0]
    conditions = [condition for task in play["tasks"] if "ansible.builtin.assert" in task
                  for condition in task["ansible.builtin.assert"]["that"]]
    accepted = [re.fullmatch(r"window in (\[.*\])", condition) for condition in conditions]
    accepted = [yaml.safe_load(match.group(1)) for match in accepted if match]
    assert accepted == [questions()["window"]["choices"]]
    assert questions()["window"]["required"] is True


def test_units_are_asked_as_a_list():
    # A text question would send one string, which the role reads one character at a time.
    specs = yaml.safe_load(read("roles", "masking", "meta", "argument_specs.yml"))["argument_specs"]
    assert specs["window_open"]["options"]["masking_window_units"]["type"] == "list"
    assert questions()["masking_window_units"]["type"] == "multiselect"


def test_survey_follows_the_controllers_rules():
    spec = survey()
    assert isinstance(spec["name"], str) and isinstance(spec["description"], str) and spec["spec"]
    variables = [question["variable"] for question in spec["spec"]]
    assert len(variables) == len(set(variables))
    for question in spec["spec"]:
        for key in ("question_name", "variable", "type"):
            assert isinstance(question[key], str), (question["variable"], key)
        assert isinstance(question["required"], bool)
        assert question["type"] in QUESTION_TYPES
        for key in ("min", "max"):
            assert question.get(key) is None or isinstance(question[key], int)
        if question["type"] in ("multiplechoice", "multiselect"):
            assert question["choices"] and all(isinstance(choice, str) for choice in question["choices"])
        if question.get("default", "") != "":
            assert isinstance(question["default"], QUESTION_TYPES[question["type"]])
            if question["type"] == "multiplechoice":
                assert question["default"] in question["choices"]


def test_guide_shows_the_survey_file():
    blocks = re.findall(r"```json\n(.*?)```", read("docs", "awx.md"), re.S)
    shown = [json.loads(block) for block in blocks if '"spec"' in block]
    assert shown == [survey()]


def test_project_and_controller_playbooks_use_the_example_files():
    project_play = yaml.safe_load(read("examples", "awx", "project", "playbooks", "maintenance_window.yml"))[0]
    assert project_play["ansible.builtin.import_playbook"] == "sysguard.systemd.maintenance_window"
    controller_play = yaml.safe_load(read("examples", "awx", "controller.yml"))[0]
    templates = [task["awx.awx.job_template"] for task in controller_play["tasks"] if "awx.awx.job_template" in task]
    playbooks = {template["playbook"] for template in templates}
    for playbook in playbooks:
        assert os.path.isfile(os.path.join(ROOT, "examples", "awx", "project", playbook)), playbook
    with_survey = [template for template in templates if template.get("survey_enabled")]
    assert [template["playbook"] for template in with_survey] == ["playbooks/maintenance_window.yml"]
    assert "'window-survey.json'" in with_survey[0]["survey_spec"]
