"""One broken rule per entry: how to break a copy of the rendered manifests, and a piece
of the finding that must then appear. check_deploy.py selftest runs them all."""

import copy
import json
import os
import tempfile

import yaml

import monitoring_rules


def deployment(manifests, name):
    return manifests.named("Deployment", name)


def container(manifests, name):
    return deployment(manifests, name)["spec"]["template"]["spec"]["containers"][0]


def remove(manifests, kind, name):
    manifests.documents = [d for d in manifests.documents if not (d.get("kind") == kind and d["metadata"].get("name") == name)]


def set_env(manifests, name, variable, value):
    for item in container(manifests, name)["env"]:
        if item["name"] == variable:
            item.clear()
            item.update({"name": variable, "value": value})


def add_egress(manifests, policy, labels, port):
    manifests.named("NetworkPolicy", policy)["spec"]["egress"].append(
        {"to": [{"podSelector": {"matchLabels": labels}}], "ports": [{"protocol": "TCP", "port": port}]}
    )


def open_both_ends(manifests, source, target_policy, target_labels, port):
    """Lets `source` out to the target and the target's policy let it in."""
    add_egress(manifests, source, target_labels, port)
    source_labels = deployment(manifests, source)["spec"]["template"]["metadata"]["labels"]
    manifests.named("NetworkPolicy", target_policy)["spec"]["ingress"].append(
        {"from": [{"podSelector": {"matchLabels": source_labels}}], "ports": [{"protocol": "TCP", "port": port}]}
    )


def queue(manifests, name):
    return next(q for q in manifests.of_kind("Queue") if q["spec"]["name"] == name)


def configmap(manifests, name):
    return manifests.named("ConfigMap", name)


MUTATIONS = [
    ("dev", "create-buy-order without a readiness probe", "readinessProbe",
     lambda m: container(m, "create-buy-order").pop("readinessProbe")),
    ("dev", "liveness on /ready", "livenessProbe must check /health",
     lambda m: container(m, "fetch-buy-orders")["livenessProbe"]["httpGet"].update(path="/ready")),
    ("production", "startup probe on the wrong port", "startupProbe must use port 8779",
     lambda m: container(m, "btc-price")["startupProbe"]["httpGet"].update(port=9999)),
    ("dev", "no memory limit", "resources.limits.memory",
     lambda m: container(m, "read-model-sync")["resources"]["limits"].pop("memory")),
    ("production", "writable root filesystem", "readOnlyRootFilesystem",
     lambda m: container(m, "btc-price")["securityContext"].update(readOnlyRootFilesystem=False)),
    ("dev", "capabilities kept", "capabilities.drop must contain ALL",
     lambda m: container(m, "create-buy-order")["securityContext"].pop("capabilities")),
    ("production", "may run as root", "runAsNonRoot",
     lambda m: deployment(m, "fetch-buy-orders")["spec"]["template"]["spec"]["securityContext"].update(runAsNonRoot=False)),
    ("dev", "privilege escalation", "allowPrivilegeEscalation",
     lambda m: container(m, "read-model-sync")["securityContext"].update(allowPrivilegeEscalation=True)),
    ("production", "no seccomp profile", "seccompProfile",
     lambda m: deployment(m, "create-buy-order")["spec"]["template"]["spec"]["securityContext"].pop("seccompProfile")),
    ("dev", "migrate Job may escalate", "Job/migrate: container migrate: securityContext.allowPrivilegeEscalation",
     lambda m: m.named("Job", "migrate")["spec"]["template"]["spec"]["containers"][0]["securityContext"].update(allowPrivilegeEscalation=True)),
    ("production", "no topology spread", "topologySpreadConstraint",
     lambda m: deployment(m, "read-model-sync")["spec"]["template"]["spec"].pop("topologySpreadConstraints")),
    ("production", "grace period below the shutdown", "terminationGracePeriodSeconds",
     lambda m: deployment(m, "create-buy-order")["spec"]["template"]["spec"].update(terminationGracePeriodSeconds=10)),
    ("dev", "a Deployment without a PodDisruptionBudget", "no PodDisruptionBudget",
     lambda m: remove(m, "PodDisruptionBudget", "read-model-sync")),
    ("production", "a Deployment without a Service", "no Service selects",
     lambda m: remove(m, "Service", "btc-price")),
    ("production", "PORT differs from the probes", "PORT is",
     lambda m: configmap(m, "fetch-buy-orders-config")["data"].update(PORT="9000")),
    ("production", "no HPA for fetch-buy-orders", "needs a HorizontalPodAutoscaler",
     lambda m: remove(m, "HorizontalPodAutoscaler", "fetch-buy-orders")),
    ("production", "a replica count beside the HPA", "spec.replicas must not be set",
     lambda m: deployment(m, "create-buy-order")["spec"].update(replicas=2)),
    ("production", "one btc-price", "at least two replicas",
     lambda m: deployment(m, "btc-price")["spec"].update(replicas=1)),
    ("dev", "two replicas in dev", "dev runs one replica",
     lambda m: deployment(m, "fetch-buy-orders")["spec"].update(replicas=2)),
    ("production", "an image tagged latest", "pins an image tag",
     lambda m: container(m, "create-buy-order").update(image="registry.example.com/buyorders/create-buy-order:latest")),
    ("dev", "no default deny", "no default deny",
     lambda m: remove(m, "NetworkPolicy", "default-deny")),
    ("dev", "btc-price's policy gone", "no policy names the pods of btc-price",
     lambda m: remove(m, "NetworkPolicy", "btc-price")),
    ("production", "fetch-buy-orders may reach the write model", "fetch-buy-orders -> write-model:5432/TCP must be refused",
     lambda m: open_both_ends(m, "fetch-buy-orders", "write-model", {"cnpg.io/cluster": "write-model"}, 5432)),
    ("dev", "the write model refuses create-buy-order", "create-buy-order -> write-model:5432/TCP must be allowed",
     lambda m: m.named("NetworkPolicy", "write-model")["spec"]["ingress"].pop(0)),
    ("production", "btc-price may reach private networks", "btc-price -> private-network:443/TCP must be refused",
     lambda m: m.named("NetworkPolicy", "btc-price")["spec"]["egress"][0]["to"][0]["ipBlock"].pop("except")),
    ("dev", "no DNS", "cannot reach the cluster DNS",
     lambda m: remove(m, "NetworkPolicy", "allow-dns")),
    ("dev", "a Secret value in a ConfigMap", "contains a Secret value",
     lambda m: configmap(m, "buyorders-config")["data"].update(EXTRA="PLACEHOLDER-dev-only-write-model-owner")),
    ("production", "a password key in a ConfigMap", "looks like a secret",
     lambda m: configmap(m, "buyorders-config")["data"].update(AMQP_PASSWORD="x")),
    ("production", "a password in an env literal", "holds a password literally",
     lambda m: set_env(m, "create-buy-order", "WRITE_DB_URL", "postgresql://create_buy_order:hunter2@write-model-rw:5432/write_model")),
    ("dev", "a password variable as a literal", "a password comes from a Secret",
     lambda m: set_env(m, "read-model-sync", "AMQP_PASSWORD", "guest")),
    ("dev", "a URL referring to an undefined variable", "which is not defined before it",
     lambda m: configmap(m, "buyorders-config")["data"].pop("AMQP_VHOST")),
    ("production", "fetch-buy-orders reading the write model", "not services of Cluster read-model",
     lambda m: configmap(m, "buyorders-config")["data"].update(READ_DB_STANDBY_HOSTS="write-model-rw:5432")),
    ("dev", "a URL with the wrong database", "names database",
     lambda m: set_env(m, "read-model-sync", "READ_DB_URL", "postgresql://$(READ_DB_USER):$(READ_DB_PASSWORD)@$(READ_DB_HOSTS)/postgres")),
    ("production", "create-buy-order with fetch-buy-orders' role", "user must come from the Secret of a role of Cluster write-model",
     lambda m: container(m, "create-buy-order")["env"][0]["valueFrom"]["secretKeyRef"].update(name="read-model-fetch-buy-orders")),
    ("production", "the wrong vhost", "vhost",
     lambda m: configmap(m, "buyorders-config")["data"].update(AMQP_VHOST="%2f")),
    ("production", "a write model without synchronous replication", "synchronous replication",
     lambda m: m.named("Cluster", "write-model")["spec"]["postgresql"].pop("synchronous")),
    ("production", "no read replica", "a primary and a replica",
     lambda m: m.named("Cluster", "read-model")["spec"].update(instances=1)),
    ("dev", "synchronous replication without a standby", "synchronous standbys need more",
     lambda m: m.named("Cluster", "write-model")["spec"]["postgresql"].update(synchronous={"method": "any", "number": 1})),
    ("dev", "a role missing", "managed roles are",
     lambda m: m.named("Cluster", "read-model")["spec"]["managed"]["roles"].pop(0)),
    ("dev", "a login role outside its group role", "must be in exactly the roles",
     lambda m: m.named("Cluster", "write-model")["spec"]["managed"]["roles"][2].pop("inRoles")),
    ("dev", "a group role that may log in", "without login or password",
     lambda m: m.named("Cluster", "write-model")["spec"]["managed"]["roles"][0].update(login=True)),
    ("production", "a one-node broker", "runs 3 node(s)",
     lambda m: m.of_kind("RabbitmqCluster")[0]["spec"].update(replicas=1)),
    ("dev", "a delivery limit the services do not declare", "x-delivery-limit must be 5",
     lambda m: queue(m, "read_model_sync")["spec"]["arguments"].update({"x-delivery-limit": 10})),
    ("production", "a classic live queue", "durable quorum queue",
     lambda m: queue(m, "read_model_sync")["spec"].pop("type")),
    ("dev", "the exchange renamed", "buy_orders (declared by the services) is missing",
     lambda m: next(e for e in m.of_kind("Exchange") if e["spec"]["name"] == "buy_orders")["spec"].update(name="orders")),
    ("dev", "the binding's routing key", "Binding: buy_orders -> read_model_sync",
     lambda m: next(b for b in m.of_kind("Binding") if b["spec"]["source"] == "buy_orders")["spec"].update(routingKey="buy_order.created")),
    ("production", "a topology object of another cluster", "rabbitmqClusterReference must name",
     lambda m: m.of_kind("Policy")[0]["spec"]["rabbitmqClusterReference"].update(name="other")),
    ("dev", "a broker user without permissions", "has no Permission",
     lambda m: remove(m, "Permission", "read-model-sync")),
    ("dev", "a dev password not marked", "PLACEHOLDER",
     lambda m: m.named("Secret", "rabbitmq-create-buy-order")["data"].update(password="c2VjcmV0LXZhbHVl")),
    ("dev", "a Secret the dev overlay does not make", "not generated by the dev overlay",
     lambda m: remove(m, "Secret", "read-model-owner")),
    ("dev", "a role Secret with another user", "username must be the role",
     lambda m: m.named("Secret", "write-model-create-buy-order")["data"].update(username="cG9zdGdyZXM=")),
    ("production", "a Secret in the production render", "production must not carry a Secret",
     lambda m: m.documents.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "write-model-owner"}, "data": {}})),
    ("production", "the PrometheusRule out of date", "differs from deploy/prometheus/buyorders-alerts.yml",
     lambda m: m.of_kind("PrometheusRule")[0]["spec"]["groups"][0]["rules"].pop()),
    ("production", "no ServiceMonitor", "no ServiceMonitor scrapes",
     lambda m: remove(m, "ServiceMonitor", "buyorders")),
]


# Broken built-in kinds that only kubernetes-validate sees.
VALIDATION_MUTATIONS = [
    ("dev", "a misspelt Deployment field", "invalid for Kubernetes",
     lambda m: deployment(m, "btc-price")["spec"].update(replica=2)),
    ("production", "a removed API version", "is not a kind of Kubernetes",
     lambda m: m.named("PodDisruptionBudget", "btc-price").update(apiVersion="policy/v1beta1")),
    ("production", "a probe port of the wrong type", "invalid for Kubernetes",
     lambda m: container(m, "fetch-buy-orders")["readinessProbe"]["httpGet"].update(port=[8778])),
]


def monitoring_mutations(rules_file, dashboard_file, exported):
    """Broken alert rules and dashboards: an unknown metric, invalid JSON, a missing panel."""
    with open(rules_file) as f:
        rules = yaml.safe_load(f)
    with open(dashboard_file) as f:
        dashboard = json.load(f)

    def with_file(suffix, content, check):
        def run(fail):
            handle, path = tempfile.mkstemp(suffix=suffix)
            try:
                with os.fdopen(handle, "w") as f:
                    f.write(content)
                check(path, fail)
            finally:
                os.unlink(path)

        return run

    broken_rules = copy.deepcopy(rules)
    broken_rules["groups"][0]["rules"][0]["expr"] = "sum(rate(orders_lost_total[5m])) > 0"
    misspelt = copy.deepcopy(dashboard)
    misspelt["panels"][0]["targets"][0]["expr"] = "sum(rate(order_created_total[1m]))"
    without_lag = copy.deepcopy(dashboard)
    without_lag["panels"] = [p for p in without_lag["panels"] if "projection lag" not in p.get("title", "").lower()]
    return [
        ("an alert on an unknown metric", "unknown metric orders_lost_total",
         with_file(".yml", yaml.safe_dump(broken_rules), lambda p, fail: monitoring_rules.check_rules(p, exported, fail, set()))),
        ("a panel on a misspelt metric", "unknown metric order_created_total",
         with_file(".json", json.dumps(misspelt), lambda p, fail: monitoring_rules.check_dashboard(p, exported, fail, set()))),
        ("a dashboard that is not JSON", "not valid JSON",
         with_file(".json", json.dumps(dashboard)[:-2], lambda p, fail: monitoring_rules.check_dashboard(p, exported, fail, set()))),
        ("a dashboard without the projection lag", "no panel about Projection lag",
         with_file(".json", json.dumps(without_lag), lambda p, fail: monitoring_rules.check_dashboard(p, exported, fail, set()))),
    ]
