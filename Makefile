# sysguard.systemd: `make test` sets up everything it needs and runs every check.
# Parts: make deps | venv | images | lint | sanity | unit | molecule | matrix | changelog

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
CACHE := .cache
RELEASES := 11 12 13 14
# Host packages: podman runs the test containers (runc where crun cannot), mmdebstrap
# builds their images from Debian's packages; ansible-test's sanity checks the shell
# scripts with shellcheck, and skips that test where it is missing.
APT_PACKAGES := podman runc mmdebstrap python3-venv git openssh-client shellcheck

# ansible-lint, Molecule and ansible-playbook find this checkout as the collection
# sysguard.systemd through this path; the venv's own collections (containers.podman)
# are found through Python's path.
COLLECTIONS := $(CURDIR)/$(CACHE)/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/sysguard/systemd
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

# Only machines that need it (hybrid cgroups, low hard ulimits) get a containers.conf
# of ours; a laptop with stock podman keeps its own configuration.
QUIRKS_CONF := $(shell tools/podman-quirks.sh $(CURDIR)/$(CACHE)/containers.conf)
ifneq ($(QUIRKS_CONF),)
export CONTAINERS_CONF := $(QUIRKS_CONF)
endif

.PHONY: help demo bench test deps venv images lint sanity unit differential fuzz package molecule matrix changelog requirements clean

help:
	@echo "make demo      apply an example baseline to three local systemd containers"
	@echo "make test      everything: deps, venv, images, lint, sanity, unit, differential, package, molecule, matrix"
	@echo "make lint      ansible-lint (production profile)"
	@echo "make sanity    ansible-test sanity, offline"
	@echo "make unit      pytest tests/unit"
	@echo "make differential  unit_lookup against systemd 247, 252, 257 and 262 on generated trees (about 40 s)"
	@echo "make fuzz      the same with 500 cases per test and release (about 7 min)"
	@echo "make molecule  every Molecule scenario on Debian 11, 12, 13 and 14 (testing)"
	@echo "make matrix    sanity and unit tests with ansible-core 2.16, 2.17, 2.18, 2.20, 2.21; the mask scenario with 2.16 and 2.21"
	@echo "make images    build the systemd container images (skipped when up to date)"
	@echo "make bench     compare with ansible.builtin.systemd_service; writes docs/performance/"
	@echo "make package   build the collection tarball, install it, render its docs"

demo: venv images
	tools/demo.sh

test: lint sanity unit differential package molecule matrix

$(VENV)/.bench-installed: requirements/bench.txt $(VENV)/.installed
	$(VENV)/bin/python -m pip install -qq --disable-pip-version-check -r requirements/bench.txt
	touch $@

# Takes about an hour: the builtin loops (200 units, and the fleet) take most of it.
bench: venv images $(VENV)/.bench-installed
	python tools/bench/bench.py $(BENCH_ARGS)

deps:
	@missing=""; \
	for cmd in podman runc mmdebstrap git ssh shellcheck; do command -v $$cmd >/dev/null || missing=1; done; \
	$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || missing=1; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps: as root, install: $(APT_PACKAGES)" >&2; exit 1; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null; \
	fi

venv: $(VENV)/.installed $(COLLECTION_LINK)

# The venv is rebuilt only when the pinned requirements change.
$(VENV)/.installed: requirements/test.txt | deps
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -qq --disable-pip-version-check -r requirements/test.txt
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

images: deps
	@pids=(); for r in $(RELEASES); do images/build.sh $$r & pids+=($$!); done; \
	status=0; for p in "$${pids[@]}"; do wait $$p || status=1; done; exit $$status

lint: venv
	ansible-lint
	antsibull-changelog lint

sanity: venv
	tools/sanity.sh

unit: venv
	python -m pytest tests/unit

# unit_lookup's answers against systemd's own, on trees hypothesis generates; the
# cases are the same on every run (derandomized), 30 live and 60 under --root per
# release unless SYSGUARD_DIFF_EXAMPLES says otherwise.
differential: venv images
	python -m pytest tests/differential

fuzz: venv images
	SYSGUARD_DIFF_EXAMPLES=500 python -m pytest tests/differential

molecule: venv images
	molecule test --all

# The other ansible-core releases (the venv's is 2.19), each in a venv of its own
# under .cache/matrix/; 2.20 and later, which need Python 3.12, in a Debian 13
# controller image (images/controller.sh). See tools/matrix.sh.
matrix: venv images
	PYTHON=$(PYTHON) tools/matrix.sh

# Release step: fold changelogs/fragments/ into CHANGELOG.rst.
changelog: venv
	antsibull-changelog release --version $$(sed -n 's/^version: *//p' galaxy.yml)

package: venv
	tools/check-package.sh

# Re-pin every package after a change to requirements/test.in.
requirements:
	rm -rf $(CACHE)/pin && $(PYTHON) -m venv $(CACHE)/pin
	$(CACHE)/pin/bin/pip install -q --disable-pip-version-check -r requirements/test.in
	{ echo "# Generated by \`make requirements\` from requirements/test.in; do not edit."; \
	  $(CACHE)/pin/bin/pip freeze --exclude-editable; } > requirements/test.txt

clean:
	rm -rf $(VENV) $(CACHE) tests/output
