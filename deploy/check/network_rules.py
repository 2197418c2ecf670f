"""NetworkPolicies: a default deny, every pod selected, and the connections that must and
must not be possible, evaluated the way Kubernetes does (an isolated pod accepts or sends
only what some policy selecting it allows; a connection needs both ends to allow it)."""

import ipaddress

from manifests import NAMESPACE, selects


class Peer:
    def __init__(self, name, namespace, labels, ip):
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.ip = ipaddress.ip_address(ip)


def peers(manifests):
    """Every workload's pods, the operators' pods in this namespace, and what lies outside."""
    found = {}
    for index, (_, name, template) in enumerate(manifests.workloads()):
        found[name] = Peer(name, NAMESPACE, template["metadata"].get("labels") or {}, f"10.244.0.{index + 10}")
    # Labels CloudNativePG and the RabbitMQ Cluster Operator put on their pods.
    found["write-model"] = Peer("write-model", NAMESPACE, {"cnpg.io/cluster": "write-model", "cnpg.io/podRole": "instance", "app.kubernetes.io/part-of": "buyorders"}, "10.244.1.1")
    found["read-model"] = Peer("read-model", NAMESPACE, {"cnpg.io/cluster": "read-model", "cnpg.io/podRole": "instance", "app.kubernetes.io/part-of": "buyorders"}, "10.244.1.2")
    found["rabbitmq"] = Peer("rabbitmq", NAMESPACE, {"app.kubernetes.io/name": "buyorders-rabbitmq", "app.kubernetes.io/component": "rabbitmq", "app.kubernetes.io/part-of": "pivotal-rabbitmq"}, "10.244.1.3")
    found["prometheus"] = Peer("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"}, "10.244.2.1")
    found["ingress"] = Peer("ingress", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}, "10.244.2.2")
    found["dns"] = Peer("dns", "kube-system", {"k8s-app": "kube-dns"}, "10.244.2.3")
    found["cnpg-operator"] = Peer("cnpg-operator", "cnpg-system", {"app.kubernetes.io/name": "cloudnative-pg"}, "10.244.2.4")
    found["rabbitmq-operator"] = Peer("rabbitmq-operator", "rabbitmq-system", {"app.kubernetes.io/name": "rabbitmq-cluster-operator"}, "10.244.2.5")
    found["other-namespace"] = Peer("other-namespace", "default", {"app": "anything"}, "10.244.3.1")
    found["internet"] = Peer("internet", None, {}, "93.184.216.34")
    found["private-network"] = Peer("private-network", None, {}, "192.168.10.10")
    return found


# (from, to, port, protocol) that must be possible.
REQUIRED = [
    ("create-buy-order", "write-model", 5432, "TCP"),
    ("create-buy-order", "rabbitmq", 5672, "TCP"),
    ("create-buy-order", "btc-price", 8779, "TCP"),
    ("fetch-buy-orders", "read-model", 5432, "TCP"),
    ("read-model-sync", "read-model", 5432, "TCP"),
    ("read-model-sync", "rabbitmq", 5672, "TCP"),
    ("btc-price", "internet", 443, "TCP"),
    ("migrate", "write-model", 5432, "TCP"),
    ("migrate", "read-model", 5432, "TCP"),
    ("buyorders-admin", "write-model", 5432, "TCP"),
    ("read-model-sync-admin", "write-model", 5432, "TCP"),
    ("read-model-sync-admin", "read-model", 5432, "TCP"),
    ("read-model-sync-admin", "rabbitmq", 5672, "TCP"),
    ("ingress", "create-buy-order", 8777, "TCP"),
    ("ingress", "fetch-buy-orders", 8778, "TCP"),
    ("prometheus", "create-buy-order", 8777, "TCP"),
    ("prometheus", "fetch-buy-orders", 8778, "TCP"),
    ("prometheus", "btc-price", 8779, "TCP"),
    ("prometheus", "read-model-sync", 8780, "TCP"),
    ("prometheus", "write-model", 9187, "TCP"),
    ("prometheus", "rabbitmq", 15692, "TCP"),
    ("cnpg-operator", "write-model", 8000, "TCP"),
    ("cnpg-operator", "read-model", 8000, "TCP"),
    ("rabbitmq-operator", "rabbitmq", 15672, "TCP"),
    ("write-model", "write-model", 5432, "TCP"),
    ("read-model", "read-model", 5432, "TCP"),
    ("rabbitmq", "rabbitmq", 25672, "TCP"),
]
# Every pod of the namespace resolves names.
DNS = [(53, "UDP"), (53, "TCP")]

# (from, to, port, protocol) that must be refused.
FORBIDDEN = [
    ("fetch-buy-orders", "write-model", 5432, "TCP"),
    ("fetch-buy-orders", "rabbitmq", 5672, "TCP"),
    ("fetch-buy-orders", "internet", 443, "TCP"),
    ("create-buy-order", "read-model", 5432, "TCP"),
    ("create-buy-order", "internet", 443, "TCP"),
    ("read-model-sync", "write-model", 5432, "TCP"),
    ("read-model-sync", "btc-price", 8779, "TCP"),
    ("btc-price", "write-model", 5432, "TCP"),
    ("btc-price", "read-model", 5432, "TCP"),
    ("btc-price", "rabbitmq", 5672, "TCP"),
    ("btc-price", "private-network", 443, "TCP"),
    ("btc-price", "internet", 80, "TCP"),
    ("btc-price", "create-buy-order", 8777, "TCP"),
    ("migrate", "rabbitmq", 5672, "TCP"),
    ("migrate", "internet", 443, "TCP"),
    ("buyorders-admin", "read-model", 5432, "TCP"),
    ("ingress", "btc-price", 8779, "TCP"),
    ("ingress", "read-model-sync", 8780, "TCP"),
    ("ingress", "write-model", 5432, "TCP"),
    ("other-namespace", "create-buy-order", 8777, "TCP"),
    ("other-namespace", "write-model", 5432, "TCP"),
    ("other-namespace", "rabbitmq", 5672, "TCP"),
    ("write-model", "read-model", 5432, "TCP"),
]


def peer_matches(rule_peer, policy_namespace, peer):
    if "ipBlock" in rule_peer:
        block = rule_peer["ipBlock"]
        network = ipaddress.ip_network(block["cidr"])
        if peer.ip.version != network.version or peer.ip not in network:
            return False
        return not any(peer.ip in ipaddress.ip_network(e) for e in block.get("except") or [] if ipaddress.ip_network(e).version == peer.ip.version)
    if peer.namespace is None:
        return False
    if "namespaceSelector" in rule_peer:
        namespace_labels = {"kubernetes.io/metadata.name": peer.namespace}
        if not selects(rule_peer["namespaceSelector"], namespace_labels):
            return False
    elif peer.namespace != policy_namespace:
        return False
    if "podSelector" in rule_peer:
        return rule_peer["podSelector"] == {} or selects(rule_peer["podSelector"], peer.labels)
    return True


def port_matches(rule, port, protocol):
    ports = rule.get("ports")
    if not ports:
        return True
    for entry in ports:
        if entry.get("protocol", "TCP") != protocol:
            continue
        if "port" not in entry:
            return True
        start, end = entry["port"], entry.get("endPort", entry["port"])
        if isinstance(start, int) and start <= port <= end:
            return True
    return False


def policy_selects(policy, peer):
    namespace = policy["metadata"].get("namespace", NAMESPACE)
    selector = policy["spec"].get("podSelector")
    return peer.namespace == namespace and (selector == {} or selects(selector, peer.labels))


def policy_types(policy):
    spec = policy["spec"]
    return spec.get("policyTypes") or (["Ingress", "Egress"] if "egress" in spec else ["Ingress"])


def direction_allows(policies, owner, other, port, protocol, direction):
    """Whether `owner` lets traffic in (Ingress, from `other`) or out (Egress, to `other`)."""
    if owner.namespace != NAMESPACE:
        return True  # not ours to restrict: other namespaces are taken as open
    field, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    selecting = [p for p in policies if direction in policy_types(p) and policy_selects(p, owner)]
    if not selecting:
        return True
    for policy in selecting:
        namespace = policy["metadata"].get("namespace", NAMESPACE)
        for rule in policy["spec"].get(field) or []:
            if not port_matches(rule, port, protocol):
                continue
            rule_peers = rule.get(peers_key)
            if not rule_peers or any(peer_matches(p, namespace, other) for p in rule_peers):
                return True
    return False


def allowed(policies, source, target, port, protocol):
    return direction_allows(policies, source, target, port, protocol, "Egress") and direction_allows(
        policies, target, source, port, protocol, "Ingress"
    )


def check(manifests, fail):
    policies = manifests.of_kind("NetworkPolicy")
    known = peers(manifests)
    defaults = [
        p
        for p in policies
        if p["spec"].get("podSelector") == {}
        and set(policy_types(p)) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    if not defaults:
        fail("NetworkPolicy: no default deny (podSelector {}, Ingress and Egress, no rules)")
    for peer in known.values():
        if peer.namespace != NAMESPACE:
            continue
        own = [p for p in policies if p["spec"].get("podSelector") != {} and policy_selects(p, peer)]
        if not own:
            fail(f"NetworkPolicy: no policy names the pods of {peer.name} (they get only the default deny)")
        for port, protocol in DNS:
            if not allowed(policies, peer, known["dns"], port, protocol):
                fail(f"NetworkPolicy: {peer.name} cannot reach the cluster DNS on {port}/{protocol}")
    for source, target, port, protocol in REQUIRED:
        if source not in known or target not in known:
            fail(f"NetworkPolicy: {source} -> {target}: no such pods rendered")
        elif not allowed(policies, known[source], known[target], port, protocol):
            fail(f"NetworkPolicy: {source} -> {target}:{port}/{protocol} must be allowed")
    for source, target, port, protocol in FORBIDDEN:
        if source in known and target in known and allowed(policies, known[source], known[target], port, protocol):
            fail(f"NetworkPolicy: {source} -> {target}:{port}/{protocol} must be refused")
