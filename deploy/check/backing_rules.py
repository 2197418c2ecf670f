"""The operators' resources (CloudNativePG, RabbitMQ Cluster and Messaging Topology
Operators): their required fields, and names that match what the services use: the
topology the code declares, the hosts, databases, vhost and users in the services' URLs,
and the Secrets that hold the passwords."""

import re
from urllib.parse import urlsplit

from workload_rules import REFERENCE, environment_value

DATABASES = {"write-model": "write_model", "read-model": "read_model"}
OWNER = "buyorders"
# The login roles of each database, one per client, and the NOLOGIN group roles the migrations
# grant to that each is a member of (deploy/README.md, "Least privilege").
ROLES = {"write-model": {"create_buy_order", "read_model_sync"}, "read-model": {"fetch_buy_orders", "read_model_sync"}}
GROUPS = {
    "write-model": {"create_buy_order": {"buyorders_order_writer"}, "read_model_sync": {"buyorders_write_model_reader"}},
    "read-model": {"fetch_buy_orders": {"buyorders_read_model_reader"}, "read_model_sync": {"buyorders_read_model_writer"}},
}
BROKER_USERS = {"create_buy_order", "read_model_sync"}
VHOST = "buyorders"


def code_topology(topology_source):
    """The defaults of AMQPTopology's initializer: the names and the delivery limit the
    services declare."""
    with open(topology_source) as f:
        text = f.read()
    found = dict(re.findall(r'(\w+): String = "([^"]+)"', text))
    limit = re.search(r"deliveryLimit: Int = (\d+)", text)
    found["deliveryLimit"] = int(limit.group(1)) if limit else None
    return found


def check(manifests, topology_source, readme_text, fail):
    clusters = {c["metadata"]["name"]: c for c in manifests.of_kind("Cluster")}
    check_postgres(manifests, clusters, fail)
    broker = check_rabbitmq(manifests, code_topology(topology_source), fail)
    check_connections(manifests, clusters, broker, fail)
    check_secrets(manifests, clusters, readme_text, fail)


def check_postgres(manifests, clusters, fail):
    for name, database in DATABASES.items():
        cluster = clusters.get(name)
        where = f"Cluster/{name}"
        if cluster is None:
            fail(f"{where}: missing (CloudNativePG Cluster of {database})")
            continue
        if cluster.get("apiVersion") != "postgresql.cnpg.io/v1":
            fail(f"{where}: apiVersion must be postgresql.cnpg.io/v1")
        spec = cluster.get("spec") or {}
        instances = spec.get("instances")
        if not isinstance(instances, int) or instances < 1:
            fail(f"{where}: spec.instances must be a positive number")
            continue
        if not (spec.get("storage") or {}).get("size"):
            fail(f"{where}: spec.storage.size is required")
        initdb = (spec.get("bootstrap") or {}).get("initdb") or {}
        if initdb.get("database") != database or initdb.get("owner") != OWNER:
            fail(f"{where}: bootstrap.initdb must make database {database} owned by {OWNER}")
        if not (initdb.get("secret") or {}).get("name"):
            fail(f"{where}: bootstrap.initdb.secret names the owner's password Secret")
        roles = {r.get("name"): r for r in (spec.get("managed") or {}).get("roles") or []}
        groups = set().union(*GROUPS[name].values())
        if set(roles) != ROLES[name] | groups:
            fail(f"{where}: managed roles are {sorted(roles)}, expected {sorted(ROLES[name] | groups)}")
        for role, definition in roles.items():
            if definition.get("superuser") or definition.get("createdb") or definition.get("createrole"):
                fail(f"{where}: role {role} must not be superuser, createdb or createrole")
            if role in groups:
                if definition.get("login") or definition.get("ensure", "present") != "present" or definition.get("passwordSecret"):
                    fail(f"{where}: group role {role} must be present, without login or password")
                continue
            if definition.get("login") is not True or definition.get("ensure", "present") != "present":
                fail(f"{where}: role {role} must be present with login")
            if not (definition.get("passwordSecret") or {}).get("name"):
                fail(f"{where}: role {role} needs a passwordSecret")
            if set(definition.get("inRoles") or []) != GROUPS[name].get(role, set()):
                fail(f"{where}: role {role} must be in exactly the roles {sorted(GROUPS[name].get(role, set()))}")
        synchronous = (spec.get("postgresql") or {}).get("synchronous")
        legacy = spec.get("minSyncReplicas", 0)
        if synchronous is not None and (synchronous.get("method") not in ("any", "first") or not isinstance(synchronous.get("number"), int)):
            fail(f"{where}: postgresql.synchronous needs method any|first and a number")
        wanted_standbys = (synchronous or {}).get("number", legacy)
        if wanted_standbys > instances - 1:
            fail(f"{where}: {wanted_standbys} synchronous standbys need more than {instances} instance(s)")
        if manifests.environment == "production":
            if name == "write-model" and (instances < 3 or wanted_standbys < 1):
                fail(f"{where}: production needs three instances and synchronous replication")
            if name == "read-model" and instances < 2:
                fail(f"{where}: production needs a primary and a replica")
        elif instances != 1:
            fail(f"{where}: dev runs one instance")


def check_rabbitmq(manifests, topology, fail):
    brokers = manifests.of_kind("RabbitmqCluster")
    if len(brokers) != 1:
        fail(f"RabbitmqCluster: expected one, found {len(brokers)}")
        return None
    broker = brokers[0]
    name = broker["metadata"]["name"]
    if broker.get("apiVersion") != "rabbitmq.com/v1beta1":
        fail(f"RabbitmqCluster/{name}: apiVersion must be rabbitmq.com/v1beta1")
    replicas = (broker.get("spec") or {}).get("replicas")
    wanted = 3 if manifests.environment == "production" else 1
    if replicas != wanted:
        fail(f"RabbitmqCluster/{name}: {manifests.environment} runs {wanted} node(s), not {replicas}")

    def topology_objects(kind):
        found = manifests.of_kind(kind)
        for item in found:
            spec = item.get("spec") or {}
            where = f"{kind}/{item['metadata']['name']}"
            if item.get("apiVersion") != "rabbitmq.com/v1beta1":
                fail(f"{where}: apiVersion must be rabbitmq.com/v1beta1")
            if (spec.get("rabbitmqClusterReference") or {}).get("name") != name:
                fail(f"{where}: rabbitmqClusterReference must name {name}")
            if kind != "Vhost" and kind != "User" and spec.get("vhost") != VHOST:
                fail(f"{where}: vhost must be {VHOST}")
        return found

    vhosts = topology_objects("Vhost")
    if [v["spec"].get("name") for v in vhosts] != [VHOST]:
        fail(f"Vhost: exactly the vhost {VHOST} is expected")
    exchanges = {e["spec"].get("name"): e["spec"] for e in topology_objects("Exchange")}
    for exchange, kind in ((topology.get("exchange"), "topic"), (topology.get("deadLetterExchange"), "fanout")):
        spec = exchanges.get(exchange)
        if spec is None:
            fail(f"Exchange: {exchange} (declared by the services) is missing")
        elif spec.get("type") != kind or spec.get("durable") is not True or spec.get("autoDelete"):
            fail(f"Exchange/{exchange}: must be a durable {kind} exchange, as the services declare it")
    queues = {q["spec"].get("name"): q["spec"] for q in topology_objects("Queue")}
    live = queues.get(topology.get("queue"))
    if live is None:
        fail(f"Queue: {topology.get('queue')} (declared by the services) is missing")
    else:
        arguments = live.get("arguments") or {}
        if live.get("type") != "quorum" or live.get("durable") is not True:
            fail(f"Queue/{topology['queue']}: must be a durable quorum queue")
        if arguments.get("x-delivery-limit") != topology.get("deliveryLimit"):
            fail(f"Queue/{topology['queue']}: x-delivery-limit must be {topology.get('deliveryLimit')}, as the services declare it")
        if arguments.get("x-dead-letter-exchange") != topology.get("deadLetterExchange"):
            fail(f"Queue/{topology['queue']}: x-dead-letter-exchange must be {topology.get('deadLetterExchange')}")
        if set(arguments) - {"x-delivery-limit", "x-dead-letter-exchange"}:
            fail(f"Queue/{topology['queue']}: arguments the services do not declare would make their declaration fail")
    parked = queues.get(topology.get("deadLetterQueue"))
    if parked is None:
        fail(f"Queue: {topology.get('deadLetterQueue')} (declared by the services) is missing")
    elif parked.get("durable") is not True or parked.get("type", "classic") != "classic" or parked.get("arguments"):
        fail(f"Queue/{topology['deadLetterQueue']}: must be a durable classic queue without arguments, as the services declare it")
    bindings = {(b["spec"].get("source"), b["spec"].get("destination"), b["spec"].get("routingKey", "")) for b in topology_objects("Binding")}
    for binding in (
        (topology.get("exchange"), topology.get("queue"), topology.get("bindingKey")),
        (topology.get("deadLetterExchange"), topology.get("deadLetterQueue"), ""),
    ):
        if binding not in bindings:
            fail(f"Binding: {binding[0]} -> {binding[1]} ({binding[2]!r}) is missing")
    policies = topology_objects("Policy")
    if not any(re.search(p["spec"].get("pattern", "$^"), topology.get("queue", "")) for p in policies):
        fail(f"Policy: none applies to {topology.get('queue')}")
    for policy in policies:
        definition = policy["spec"].get("definition") or {}
        if "delivery-limit" in definition and definition["delivery-limit"] != topology.get("deliveryLimit"):
            fail(f"Policy/{policy['metadata']['name']}: delivery-limit differs from the services' {topology.get('deliveryLimit')}")
    users = {u["metadata"]["name"]: u for u in topology_objects("User")}
    permitted = {p["spec"].get("userReference", {}).get("name") for p in topology_objects("Permission")}
    for user_name, user in users.items():
        if not (user["spec"].get("importCredentialsSecret") or {}).get("name"):
            fail(f"User/{user_name}: needs importCredentialsSecret (the services' password Secret)")
        if user["spec"].get("tags"):
            fail(f"User/{user_name}: a service user needs no tags (no management access)")
        if user_name not in permitted:
            fail(f"User/{user_name}: has no Permission in {VHOST}")
    return broker


def url_parts(manifests, container, variable):
    """The host list, path and user variable of a URL variable composed from $(VAR)s."""
    value = environment_value(manifests, container, variable)
    if value is None:
        return None
    expanded = REFERENCE.sub(lambda m: environment_value(manifests, container, m.group(1)) or f"<{m.group(1)}>", value)
    user_reference = re.match(r"[a-z]+://\$\((\w+)\):", value)
    netloc = urlsplit(expanded.replace(",", "%2C")).netloc.replace("%2C", ",")
    hosts = [h.split(":")[0] for h in netloc.rsplit("@", 1)[-1].split(",")]
    return {"hosts": hosts, "path": urlsplit(expanded).path.lstrip("/"), "user": user_reference.group(1) if user_reference else None}


def secret_of(container, variable):
    for item in container.get("env") or []:
        if item["name"] == variable:
            return ((item.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name")
    return None


def check_connections(manifests, clusters, broker, fail):
    """Every database URL names a CloudNativePG service of the right cluster, its database,
    and a user whose Secret is that cluster's Secret for a role; the broker URLs name the
    broker's Service, the vhost and a broker user's Secret."""
    role_secrets = {}
    for name, cluster in clusters.items():
        spec = cluster.get("spec") or {}
        owner = ((spec.get("bootstrap") or {}).get("initdb") or {}).get("secret", {}).get("name")
        role_secrets[name] = {owner} | {r["passwordSecret"].get("name") for r in (spec.get("managed") or {}).get("roles") or [] if r.get("passwordSecret")}
    user_secrets = {(u["spec"].get("importCredentialsSecret") or {}).get("name") for u in manifests.of_kind("User")}
    for kind, workload, template in manifests.workloads():
        for container in template["spec"]["containers"]:
            where = f"{kind}/{workload}"
            for variable in ("WRITE_DB_URL", "READ_DB_URL"):
                parts = url_parts(manifests, container, variable)
                if parts is None:
                    continue
                cluster = "write-model" if variable == "WRITE_DB_URL" else "read-model"
                allowed_hosts = {f"{cluster}-rw", f"{cluster}-ro", f"{cluster}-r"}
                if cluster not in clusters or not set(parts["hosts"]) <= allowed_hosts:
                    fail(f"{where}: {variable} hosts {parts['hosts']} are not services of Cluster {cluster}")
                if parts["path"] != DATABASES[cluster]:
                    fail(f"{where}: {variable} names database {parts['path']!r}, not {DATABASES[cluster]}")
                secret = secret_of(container, parts["user"]) if parts["user"] else None
                if secret is None or secret not in role_secrets.get(cluster, set()):
                    fail(f"{where}: {variable}'s user must come from the Secret of a role of Cluster {cluster}")
            parts = url_parts(manifests, container, "AMQP_URL")
            if parts is not None and broker is not None:
                if parts["hosts"] != [broker["metadata"]["name"]]:
                    fail(f"{where}: AMQP_URL hosts {parts['hosts']} are not the Service {broker['metadata']['name']}")
                if parts["path"] != VHOST:
                    fail(f"{where}: AMQP_URL vhost {parts['path']!r} is not {VHOST}")
                secret = secret_of(container, parts["user"]) if parts["user"] else None
                if secret is None or secret not in user_secrets:
                    fail(f"{where}: AMQP_URL's user must come from the Secret of a broker User")


def referenced_secrets(manifests):
    """{secret name: keys} of every Secret the workloads and the operators' resources read."""
    found = {}
    for _, _, template in manifests.workloads():
        for container in template["spec"]["containers"]:
            for item in container.get("env") or []:
                reference = (item.get("valueFrom") or {}).get("secretKeyRef")
                if reference:
                    found.setdefault(reference["name"], set()).add(reference["key"])
    for cluster in manifests.of_kind("Cluster"):
        spec = cluster.get("spec") or {}
        owner = ((spec.get("bootstrap") or {}).get("initdb") or {}).get("secret", {}).get("name")
        for name in [owner] + [r["passwordSecret"].get("name") for r in (spec.get("managed") or {}).get("roles") or [] if r.get("passwordSecret")]:
            found.setdefault(name, set()).update({"username", "password"})
    for user in manifests.of_kind("User"):
        name = (user["spec"].get("importCredentialsSecret") or {}).get("name")
        found.setdefault(name, set()).update({"username", "password"})
    return found


def check_secrets(manifests, clusters, readme_text, fail):
    """dev generates every Secret it reads; production reads only Secrets the README tells
    the operator to create. A role's Secret holds that role's name."""
    values = manifests.secret_values()
    rendered = {s["metadata"]["name"]: s for s in manifests.of_kind("Secret")}
    for name, keys in sorted(referenced_secrets(manifests).items()):
        if manifests.environment == "dev":
            if name not in rendered:
                fail(f"Secret/{name}: read but not generated by the dev overlay")
                continue
            for key in keys - {k for (s, k) in values if s == name}:
                fail(f"Secret/{name}: has no key {key}")
            if not values.get((name, "password"), "").startswith("PLACEHOLDER"):
                fail(f"Secret/{name}: a dev password must be marked PLACEHOLDER")
        else:
            if name in rendered:
                fail(f"Secret/{name}: production must not carry a Secret; the operator creates it")
            if f"`{name}`" not in readme_text:
                fail(f"Secret/{name}: read in production but not listed in deploy/README.md")
    for name, cluster in clusters.items():
        spec = cluster.get("spec") or {}
        pairs = [(((spec.get("bootstrap") or {}).get("initdb") or {}).get("secret", {}).get("name"), OWNER)]
        pairs += [(r["passwordSecret"].get("name"), r.get("name")) for r in (spec.get("managed") or {}).get("roles") or [] if r.get("passwordSecret")]
        for secret, role in pairs:
            if secret in rendered:
                if rendered[secret].get("type") != "kubernetes.io/basic-auth":
                    fail(f"Secret/{secret}: CloudNativePG needs type kubernetes.io/basic-auth")
                if values.get((secret, "username")) != role:
                    fail(f"Secret/{secret}: username must be the role {role}")
    for user in manifests.of_kind("User"):
        secret = (user["spec"].get("importCredentialsSecret") or {}).get("name")
        if secret in rendered and values.get((secret, "username")) not in BROKER_USERS:
            fail(f"Secret/{secret}: username must be one of the broker users {sorted(BROKER_USERS)}")
