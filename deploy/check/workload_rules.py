"""Rules for every Deployment and Job: probes, resources, security, spreading, the objects
each Deployment needs beside it, replica counts and autoscaling, configuration and secrets."""

import re

from manifests import selects, selects_plain

# The four services, the port each listens on (README.md, Configuration), and whether the
# production overlay autoscales it.
SERVICES = {
    "create-buy-order": {"port": 8777, "hpa": True},
    "fetch-buy-orders": {"port": 8778, "hpa": True},
    "btc-price": {"port": 8779, "hpa": False},
    "read-model-sync": {"port": 8780, "hpa": False},
}

# A service drains for 10 s after SIGTERM, then cancels for 3 s (README.md, Operations).
SHUTDOWN_SECONDS = 13
MARGIN_SECONDS = 2

SECRET_LIKE_KEY = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE", re.IGNORECASE)
URL_WITH_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://([^:/@\s]+):([^@\s]+)@", re.IGNORECASE)
REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def check(manifests, fail):
    templates = {d["metadata"].get("generateName", "").rstrip("-") for d in manifests.job_templates}
    for kind, name, template in manifests.workloads():
        where = f"{kind}/{name}"
        pod = template["spec"]
        check_security(where, pod, fail)
        for container in pod.get("containers", []):
            check_resources(where, container, fail)
            check_environment(manifests, where, container, fail)
            if name not in templates:  # a template's image is set when it is created
                check_image(manifests, where, container, fail)
        if kind == "Deployment":
            check_deployment(manifests, name, template, fail)
    check_replicas(manifests, fail)
    check_configmaps(manifests, fail)


def check_security(where, pod, fail):
    context = pod.get("securityContext") or {}
    if context.get("runAsNonRoot") is not True:
        fail(f"{where}: pod securityContext.runAsNonRoot must be true")
    if pod.get("automountServiceAccountToken") is not False:
        fail(f"{where}: automountServiceAccountToken must be false (no service needs the API)")
    if pod.get("enableServiceLinks") is not False:
        fail(f"{where}: enableServiceLinks must be false (Service variables such as BTC_PRICE_PORT would be injected)")
    pod_seccomp = (context.get("seccompProfile") or {}).get("type")
    for container in pod.get("initContainers", []) + pod.get("containers", []):
        own = container.get("securityContext") or {}
        label = f"{where}: container {container['name']}"
        if own.get("allowPrivilegeEscalation") is not False:
            fail(f"{label}: securityContext.allowPrivilegeEscalation must be false")
        if own.get("readOnlyRootFilesystem") is not True:
            fail(f"{label}: securityContext.readOnlyRootFilesystem must be true")
        if own.get("privileged"):
            fail(f"{label}: must not be privileged")
        if own.get("runAsNonRoot") is False or own.get("runAsUser") == 0:
            fail(f"{label}: must not run as root")
        capabilities = own.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            fail(f"{label}: securityContext.capabilities.drop must contain ALL")
        if capabilities.get("add"):
            fail(f"{label}: must add no capabilities")
        if ((own.get("seccompProfile") or {}).get("type") or pod_seccomp) != "RuntimeDefault":
            fail(f"{label}: seccompProfile must be RuntimeDefault")


def check_resources(where, container, fail):
    resources = container.get("resources") or {}
    for part in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if not (resources.get(part) or {}).get(resource):
                fail(f"{where}: container {container['name']}: resources.{part}.{resource} is missing")


def http_probe(container, probe):
    found = container.get(probe) or {}
    return found.get("httpGet")


def port_number(container, port):
    if isinstance(port, int):
        return port
    for declared in container.get("ports", []):
        if declared.get("name") == port:
            return declared["containerPort"]
    return None


def check_deployment(manifests, name, template, fail):
    where = f"Deployment/{name}"
    pod = template["spec"]
    labels = template["metadata"].get("labels") or {}
    expected = SERVICES.get(name)
    if expected is None:
        fail(f"{where}: not one of the services {sorted(SERVICES)}")
        return
    container = next((c for c in pod["containers"] if c["name"] == name), None)
    if container is None:
        fail(f"{where}: no container named {name}")
        return
    for probe, path in (("startupProbe", "/health"), ("livenessProbe", "/health"), ("readinessProbe", "/ready")):
        get = http_probe(container, probe)
        if get is None:
            fail(f"{where}: {probe} must be an httpGet probe on {path}")
            continue
        if get.get("path") != path:
            fail(f"{where}: {probe} must check {path}, not {get.get('path')}")
        if port_number(container, get.get("port")) != expected["port"]:
            fail(f"{where}: {probe} must use port {expected['port']}")
    listen = environment_value(manifests, container, "PORT")
    if listen != str(expected["port"]):
        fail(f"{where}: PORT is {listen!r}, the probes and the Service use {expected['port']}")
    check_grace(where, pod, container, fail)
    spread = pod.get("topologySpreadConstraints") or []
    keys = {c.get("topologyKey") for c in spread if selects(c.get("labelSelector"), labels)}
    if "kubernetes.io/hostname" not in keys:
        fail(f"{where}: needs a topologySpreadConstraint on kubernetes.io/hostname that selects its pods")
    budgets = [p for p in manifests.of_kind("PodDisruptionBudget") if selects(p["spec"].get("selector"), labels)]
    if not budgets:
        fail(f"{where}: no PodDisruptionBudget selects its pods")
    for budget in budgets:
        if budget["spec"].get("maxUnavailable") in (0, "0", "0%") or "minAvailable" in budget["spec"]:
            fail(f"{where}: PodDisruptionBudget {budget['metadata']['name']} must allow one disruption (maxUnavailable: 1)")
    services = [s for s in manifests.of_kind("Service") if selects_plain(s["spec"].get("selector"), labels)]
    if not any(
        port_number(container, port.get("targetPort", port.get("port"))) == expected["port"]
        for service in services
        for port in service["spec"].get("ports", [])
    ):
        fail(f"{where}: no Service selects its pods on port {expected['port']}")


def check_grace(where, pod, container, fail):
    pause = 0
    command = ((container.get("lifecycle") or {}).get("preStop") or {}).get("exec", {}).get("command") or []
    if len(command) == 2 and command[0].endswith("sleep"):
        pause = int(command[1])
    needed = pause + SHUTDOWN_SECONDS + MARGIN_SECONDS
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if grace < needed:
        fail(f"{where}: terminationGracePeriodSeconds {grace} is below {needed} (preStop {pause} s + shutdown {SHUTDOWN_SECONDS} s + {MARGIN_SECONDS} s)")


def check_replicas(manifests, fail):
    autoscalers = {h["spec"]["scaleTargetRef"]["name"]: h for h in manifests.of_kind("HorizontalPodAutoscaler")}
    for deployment in manifests.of_kind("Deployment"):
        name = deployment["metadata"]["name"]
        where = f"Deployment/{name}"
        replicas = deployment["spec"].get("replicas")
        if manifests.environment == "dev":
            if replicas != 1:
                fail(f"{where}: dev runs one replica, not {replicas}")
            if name in autoscalers:
                fail(f"{where}: dev has no HorizontalPodAutoscaler")
            continue
        wants_hpa = SERVICES.get(name, {}).get("hpa")
        if wants_hpa:
            hpa = autoscalers.get(name)
            if hpa is None:
                fail(f"{where}: production needs a HorizontalPodAutoscaler")
                continue
            if hpa["spec"].get("minReplicas", 1) < 2:
                fail(f"HorizontalPodAutoscaler/{name}: minReplicas must be at least 2")
            if hpa["spec"]["scaleTargetRef"].get("kind") != "Deployment":
                fail(f"HorizontalPodAutoscaler/{name}: must scale the Deployment")
            if replicas is not None:
                fail(f"{where}: the HPA owns the replica count; spec.replicas must not be set")
        elif (replicas or 1) < 2:
            fail(f"{where}: production runs at least two replicas, not {replicas}")


def environment_value(manifests, container, key):
    """A variable's literal value: from `env`, else from the envFrom ConfigMaps."""
    for item in container.get("env") or []:
        if item["name"] == key and "value" in item:
            return item["value"]
    for source in container.get("envFrom") or []:
        reference = source.get("configMapRef")
        if reference:
            value = manifests.config_value(reference["name"], key)
            if value is not None:
                return value
    return None


def check_environment(manifests, where, container, fail):
    label = f"{where}: container {container['name']}"
    defined = set()
    for source in container.get("envFrom") or []:
        if "secretRef" in source:
            # Allowed, but then nothing shows which keys it brings: name them with secretKeyRef.
            fail(f"{label}: envFrom a Secret hides its keys; use env with secretKeyRef")
        reference = source.get("configMapRef")
        if reference:
            configmap = manifests.named("ConfigMap", reference["name"])
            if configmap is None:
                fail(f"{label}: envFrom names ConfigMap {reference['name']}, which is not rendered")
            else:
                defined.update((configmap.get("data") or {}).keys())
    from_secret = set()
    for item in container.get("env") or []:
        name = item["name"]
        if "value" in item:
            value = str(item["value"])
            if SECRET_LIKE_KEY.search(name):
                fail(f"{label}: {name} is a literal value; a password comes from a Secret (secretKeyRef)")
            for match in REFERENCE.finditer(value):
                if match.group(1) not in defined:
                    fail(f"{label}: {name} refers to $({match.group(1)}), which is not defined before it")
            url = URL_WITH_PASSWORD.search(value)
            if url:
                password = url.group(2)
                reference = REFERENCE.fullmatch(password)
                if reference is None or reference.group(1) not in from_secret:
                    fail(f"{label}: {name} holds a password literally; it must be $(VAR) of a secretKeyRef")
        else:
            source = item.get("valueFrom") or {}
            if "secretKeyRef" in source:
                from_secret.add(name)
        defined.add(name)


def check_image(manifests, where, container, fail):
    image = container.get("image", "")
    tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
    if manifests.environment == "production" and tag in ("", "latest"):
        fail(f"{where}: container {container['name']}: production pins an image tag, not {image!r}")


def check_configmaps(manifests, fail):
    secrets = {value for (_, key), value in manifests.secret_values().items() if key != "username"}
    for configmap in manifests.of_kind("ConfigMap"):
        where = f"ConfigMap/{configmap['metadata']['name']}"
        for key, value in (configmap.get("data") or {}).items():
            if SECRET_LIKE_KEY.search(key):
                fail(f"{where}: key {key} looks like a secret; passwords belong in Secrets")
            if URL_WITH_PASSWORD.search(value):
                fail(f"{where}: {key} is a URL with a password")
            for secret in secrets:
                if secret in value:
                    fail(f"{where}: {key} contains a Secret value")
