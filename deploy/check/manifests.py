"""Rendered manifests as a set of documents, and the lookups the rules share."""

import base64
import copy
import fnmatch

import yaml

# Kinds of the operators' CustomResourceDefinitions: kubernetes-validate knows only the
# built-in kinds, so these are checked by the rules in backing_rules.py and monitoring_rules.py.
CUSTOM_KINDS = {
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"),
    ("rabbitmq.com/v1beta1", "Vhost"),
    ("rabbitmq.com/v1beta1", "User"),
    ("rabbitmq.com/v1beta1", "Permission"),
    ("rabbitmq.com/v1beta1", "Exchange"),
    ("rabbitmq.com/v1beta1", "Queue"),
    ("rabbitmq.com/v1beta1", "Binding"),
    ("rabbitmq.com/v1beta1", "Policy"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PodMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}

NAMESPACE = "buyorders"


def load_documents(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


class Manifests:
    """The documents of one environment: an overlay's render plus the one-off Job templates."""

    def __init__(self, environment, documents, job_templates=()):
        self.environment = environment
        self.documents = documents
        self.job_templates = list(job_templates)

    def copy(self):
        return Manifests(self.environment, copy.deepcopy(self.documents), copy.deepcopy(self.job_templates))

    def of_kind(self, kind):
        return [d for d in self.documents if d.get("kind") == kind]

    def named(self, kind, name):
        """The document of `kind` called `name`; a generated ConfigMap or Secret also by its
        name without kustomize's hash suffix."""
        for d in self.of_kind(kind):
            actual = d["metadata"].get("name", "")
            if actual == name or fnmatch.fnmatch(actual, name + "-??????????"):
                return d
        return None

    def workloads(self):
        """(kind, name, pod template) of every Deployment and Job, the templates included."""
        found = []
        for d in self.documents + self.job_templates:
            if d.get("kind") in ("Deployment", "Job"):
                name = d["metadata"].get("name") or d["metadata"].get("generateName", "").rstrip("-")
                found.append((d["kind"], name, d["spec"]["template"]))
        return found

    def config_value(self, configmap, key):
        found = self.named("ConfigMap", configmap)
        return None if found is None else (found.get("data") or {}).get(key)

    def secret_values(self):
        """Every decoded value of every Secret in the render: {(secret, key): value}."""
        values = {}
        for secret in self.of_kind("Secret"):
            for key, value in (secret.get("data") or {}).items():
                values[(secret["metadata"]["name"], key)] = base64.b64decode(value).decode()
            for key, value in (secret.get("stringData") or {}).items():
                values[(secret["metadata"]["name"], key)] = value
        return values


def selects(selector, labels):
    """True when a label selector (matchLabels and matchExpressions) matches `labels`."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def selects_plain(selector, labels):
    """A Service's selector: a plain map of labels."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())
