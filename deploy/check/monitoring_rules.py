"""Monitoring: the PrometheusRule carries exactly the rules file's groups, the production
overlay scrapes every service, the dashboard is valid JSON, and every metric an alert or
a panel uses is one the code exports (or one named below as coming from elsewhere)."""

import json
import os
import re

import yaml

from workload_rules import SERVICES

# Metrics that do not come from the services.
EXTERNAL_METRICS = {
    "up": "Prometheus",
    "kube_deployment_status_replicas_unavailable": "kube-state-metrics",
}
# Metrics the rules or the dashboard use that the code does not export yet: reported on
# every run, and once the code has them, reported as to be removed from here.
PENDING_METRICS = {}

INSTRUMENT = re.compile(r"\b(Counter|FloatingPointCounter|Gauge|Meter|Timer|Recorder)\(\s*label:\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\"([^)]*)")
PROMQL_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
    "bool", "offset", "inf", "nan", "le",
}


def exported_metrics(sources):
    """Every metric name the Swift code registers, with the series a histogram adds."""
    names = set()
    for root, _, files in os.walk(sources):
        for file in files:
            if not file.endswith(".swift"):
                continue
            with open(os.path.join(root, file)) as f:
                text = f.read()
            for kind, name, rest in INSTRUMENT.findall(text):
                names.add(name)
                if kind == "Timer" or (kind == "Recorder" and "aggregate: true" in rest):
                    names.update({name + "_bucket", name + "_sum", name + "_count"})
    return names


def metric_names(expression):
    """The metric names in a PromQL expression (functions, keywords, label names and
    durations left out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        following = text[match.end():].lstrip()
        word = match.group(0)
        if following.startswith("(") or word.lower() in PROMQL_KEYWORDS:
            continue
        before = text[: match.start()]
        if re.search(r"[0-9.]$", before):  # the unit of a number such as 5m
            continue
        names.add(word)
    return names


def check_metric_names(where, expressions, exported, fail, pending_seen):
    for expression in expressions:
        for name in metric_names(expression):
            if name in exported or name in EXTERNAL_METRICS:
                continue
            if name in PENDING_METRICS:
                pending_seen.add(name)
                continue
            fail(f"{where}: unknown metric {name} (not exported by Sources/, not listed as external or pending)")


def rules_groups(rules_file):
    with open(rules_file) as f:
        return yaml.safe_load(f)["groups"]


def prometheus_rule(rules_file):
    """The PrometheusRule of the production overlay, made from the rules file."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "buyorders", "labels": {"app.kubernetes.io/part-of": "buyorders"}},
        "spec": {"groups": rules_groups(rules_file)},
    }


def check_rules(rules_file, exported, fail, pending_seen):
    expressions = [r["expr"] for g in rules_groups(rules_file) for r in g["rules"]]
    check_metric_names("alert rules", expressions, exported, fail, pending_seen)


def check_prometheus_rule(manifests, rules_file, fail):
    found = manifests.of_kind("PrometheusRule")
    if manifests.environment != "production":
        return
    if len(found) != 1:
        fail("PrometheusRule: production needs exactly one")
        return
    if found[0]["spec"].get("groups") != rules_groups(rules_file):
        fail("PrometheusRule/buyorders: differs from deploy/prometheus/buyorders-alerts.yml (regenerate: scripts/check_deploy.sh --write-prometheusrule)")


def check_scraping(manifests, fail):
    monitors = manifests.of_kind("ServiceMonitor")
    if manifests.environment != "production":
        return
    from manifests import selects

    for service in manifests.of_kind("Service"):
        name = service["metadata"]["name"]
        if name not in SERVICES:
            continue
        ports = {p.get("name") for p in service["spec"].get("ports", [])}
        if not any(
            selects(m["spec"].get("selector"), service["metadata"].get("labels") or {})
            and any(e.get("port") in ports and e.get("path", "/metrics") == "/metrics" for e in m["spec"].get("endpoints", []))
            for m in monitors
        ):
            fail(f"Service/{name}: no ServiceMonitor scrapes its /metrics")


def dashboard_expressions(dashboard):
    found = []

    def walk(panels):
        for panel in panels:
            for target in panel.get("targets", []):
                if "expr" in target:
                    found.append((panel.get("title", "?"), target["expr"]))
            walk(panel.get("panels", []))

    walk(dashboard.get("panels", []))
    return found


def check_dashboard(dashboard_file, exported, fail, pending_seen):
    try:
        with open(dashboard_file) as f:
            dashboard = json.load(f)
    except (OSError, ValueError) as error:
        fail(f"{dashboard_file}: not valid JSON: {error}")
        return
    expressions = dashboard_expressions(dashboard)
    if not expressions:
        fail(f"{dashboard_file}: no panel has a query")
    titles = [title for title, _ in expressions]
    for wanted in ("Orders", "Latency", "BTC", "Outbox", "Projection lag", "Dead letters", "Price age"):
        if not any(wanted.lower() in title.lower() for title in titles):
            fail(f"{dashboard_file}: no panel about {wanted}")
    for title, expression in expressions:
        check_metric_names(f"dashboard panel {title!r}", [expression], exported, fail, pending_seen)
