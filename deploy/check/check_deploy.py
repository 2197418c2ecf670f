"""Checks the rendered overlays, the Job templates, the alert rules and the dashboard.

    check_deploy.py check --dev DEV.yaml --production PROD.yaml
    check_deploy.py selftest --dev DEV.yaml --production PROD.yaml
    check_deploy.py write-prometheusrule

`check` validates every built-in kind with kubernetes-validate (strict, against the oldest
and the newest Kubernetes supported), then applies the rules of workload_rules,
network_rules, backing_rules and monitoring_rules; it exits 1 naming every broken rule.
`selftest` breaks one rule at a time in a copy of the rendered manifests and exits 1
unless every break is caught, so the checks cannot pass by checking nothing. Run by
scripts/check_deploy.sh.
"""

import argparse
import glob
import os
import sys

import yaml

import backing_rules
import monitoring_rules
import network_rules
import workload_rules
from manifests import CUSTOM_KINDS, Manifests, load_documents

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
JOBS = os.path.join(ROOT, "deploy", "k8s", "jobs")
RULES = os.path.join(ROOT, "deploy", "prometheus", "buyorders-alerts.yml")
PROMETHEUS_RULE = os.path.join(ROOT, "deploy", "k8s", "overlays", "production", "prometheusrule.yaml")
DASHBOARD = os.path.join(ROOT, "deploy", "grafana", "buyorders.json")
README = os.path.join(ROOT, "deploy", "README.md")
SOURCES = os.path.join(ROOT, "Sources")
TOPOLOGY = os.path.join(SOURCES, "Core", "AMQP", "AMQPTopology.swift")
KUBERNETES_VERSIONS = ("1.29.0", "1.37.0")


def job_templates():
    return [d for path in sorted(glob.glob(os.path.join(JOBS, "*.yaml"))) for d in load_documents(path)]


def validate_builtin(manifests, fail):
    import kubernetes_validate

    for document in manifests.documents + manifests.job_templates:
        kind = document.get("kind")
        name = document["metadata"].get("name") or document["metadata"].get("generateName")
        if (document.get("apiVersion"), kind) in CUSTOM_KINDS:
            continue
        for version in KUBERNETES_VERSIONS:
            try:
                kubernetes_validate.validate(document, version, strict=True)
            except kubernetes_validate.SchemaNotFoundError:
                fail(f"{kind}/{name}: {document.get('apiVersion')} {kind} is not a kind of Kubernetes {version}")
            except kubernetes_validate.ValidationError as error:
                path = ".".join(str(p) for p in error.path)
                fail(f"{kind}/{name}: invalid for Kubernetes {version}: {path}: {error.message}")


def run_rules(manifests, findings, readme_text, exported, pending_seen, validate=True):
    def fail(message):
        findings.append(f"{manifests.environment}: {message}")

    if validate:
        validate_builtin(manifests, fail)
    workload_rules.check(manifests, fail)
    network_rules.check(manifests, fail)
    backing_rules.check(manifests, TOPOLOGY, readme_text, fail)
    monitoring_rules.check_prometheus_rule(manifests, RULES, fail)
    monitoring_rules.check_scraping(manifests, fail)


def environments(arguments):
    templates = job_templates()
    return [
        Manifests("dev", load_documents(arguments.dev), templates),
        Manifests("production", load_documents(arguments.production), templates),
    ]


def readme():
    with open(README) as f:
        return f.read()


def command_check(arguments):
    findings = []
    pending_seen = set()
    exported = monitoring_rules.exported_metrics(SOURCES)
    text = readme()
    for manifests in environments(arguments):
        run_rules(manifests, findings, text, exported, pending_seen)
    general = findings.append
    monitoring_rules.check_rules(RULES, exported, general, pending_seen)
    monitoring_rules.check_dashboard(DASHBOARD, exported, general, pending_seen)
    for name in sorted(pending_seen):
        print(f"note: metric {name} is not exported by the code yet: {monitoring_rules.PENDING_METRICS[name]}")
    for name in sorted(set(monitoring_rules.PENDING_METRICS) & exported):
        print(f"note: metric {name} is exported now: remove it from PENDING_METRICS (deploy/check/monitoring_rules.py)")
    for finding in findings:
        print(f"FAIL {finding}")
    counts = {m.environment: len(m.documents) for m in environments(arguments)}
    if findings:
        print(f"deploy checks: {len(findings)} broken rule(s)")
        return 1
    print(f"deploy checks: dev {counts['dev']} and production {counts['production']} documents, "
          f"{len(job_templates())} Job templates, alert rules and dashboard: every rule holds")
    return 0


def command_selftest(arguments):
    import selftest

    exported = monitoring_rules.exported_metrics(SOURCES)
    text = readme()
    by_name = {m.environment: m for m in environments(arguments)}
    missed = []
    cases = [(m, False) for m in selftest.MUTATIONS] + [(m, True) for m in selftest.VALIDATION_MUTATIONS]
    for (environment, description, expected, mutate), validate in cases:
        manifests = by_name[environment].copy()
        mutate(manifests)
        findings = []
        run_rules(manifests, findings, text, exported, set(), validate=validate)
        if not any(expected in finding for finding in findings):
            missed.append(f"{environment}: {description}: no finding contains {expected!r} (found: {findings[:3]})")
    for description, expected, run in selftest.monitoring_mutations(RULES, DASHBOARD, exported):
        findings = []
        run(findings.append)
        if not any(expected in finding for finding in findings):
            missed.append(f"{description}: no finding contains {expected!r} (found: {findings[:3]})")
    total = len(cases) + len(selftest.monitoring_mutations(RULES, DASHBOARD, exported))
    for line in missed:
        print(f"SELFTEST MISSED {line}")
    if missed:
        print(f"deploy self-test: {len(missed)} of {total} broken manifests passed the checks")
        return 1
    print(f"deploy self-test: each of {total} broken manifests was caught")
    return 0


def command_write_prometheusrule(_):
    header = (
        "# Generated from deploy/prometheus/buyorders-alerts.yml by\n"
        "# `scripts/check_deploy.sh --write-prometheusrule`; edit that file, not this one.\n"
    )
    with open(PROMETHEUS_RULE, "w") as f:
        f.write(header)
        yaml.safe_dump(monitoring_rules.prometheus_rule(RULES), f, sort_keys=False, width=100, allow_unicode=True)
    print(f"wrote {os.path.relpath(PROMETHEUS_RULE, ROOT)}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("check", "selftest"):
        sub = commands.add_parser(name)
        sub.add_argument("--dev", required=True, help="kubectl kustomize deploy/k8s/overlays/dev")
        sub.add_argument("--production", required=True, help="kubectl kustomize deploy/k8s/overlays/production")
    commands.add_parser("write-prometheusrule")
    arguments = parser.parse_args()
    handler = {"check": command_check, "selftest": command_selftest, "write-prometheusrule": command_write_prometheusrule}
    return handler[arguments.command](arguments)


if __name__ == "__main__":
    sys.exit(main())
