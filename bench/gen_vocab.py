"""The vocabulary the generator draws from: teams, apps, their ports and the kinds that run them.

Apps are shared between namespaces on purpose (`redis`, `postgres`, `frontend` live in many), so
that label selectors overlap the way they do in a real monorepo and a podSelector-only peer can
match something in its own namespace while the pods it was meant for live elsewhere.
"""
from __future__ import annotations

from dataclasses import dataclass

# (port name or None, port number, protocol)
PortSpec = tuple[str | None, int, str]

TEAMS: tuple[str, ...] = (
    "payments", "checkout", "search", "identity", "growth", "ads", "risk", "billing",
    "catalog", "inventory", "shipping", "notifications", "messaging", "media", "maps",
    "analytics", "data-eng", "ml-platform", "research", "recsys", "vision", "nlp", "speech",
    "fraud", "support", "partners", "telco", "pricing", "reviews", "loyalty",
)

PURPOSE_SUFFIX: dict[str, tuple[str, ...]] = {
    "serving": ("api", "web", "svc", "serving"),
    "data": ("data", "db", "stream", "store"),
    "ml-training": ("training", "train", "ray", "research"),
}

# Namespace-level criticality, distinct from the pod `tier` so both can appear in one selector.
NS_TIERS: tuple[str, ...] = ("critical", "standard", "batch")
ENVS: tuple[tuple[str, float], ...] = (("prod", 0.6), ("staging", 0.25), ("dev", 0.15))

PORT_PROFILES: dict[str, tuple[PortSpec, ...]] = {
    "web": (("http", 8080, "TCP"), ("metrics", 9090, "TCP")),
    "grpc": (("grpc", 50051, "TCP"), ("http", 8080, "TCP"), ("metrics", 9090, "TCP")),
    "gateway": (("http", 8080, "TCP"), ("https", 8443, "TCP"), ("metrics", 9090, "TCP")),
    "triton": (("http", 8000, "TCP"), ("grpc", 8001, "TCP"), ("metrics", 8002, "TCP")),
    "postgres": (("postgres", 5432, "TCP"), ("metrics", 9187, "TCP")),
    "redis": (("redis", 6379, "TCP"), ("metrics", 9121, "TCP")),
    "kafka": (("kafka", 9092, "TCP"), ("kafka-internal", 9093, "TCP"), ("metrics", 9308, "TCP")),
    "zookeeper": (("client", 2181, "TCP"), ("follower", 2888, "TCP"), ("election", 3888, "TCP")),
    "elasticsearch": (("http", 9200, "TCP"), ("transport", 9300, "TCP")),
    "clickhouse": (("http", 8123, "TCP"), ("native", 9000, "TCP"), ("interserver", 9009, "TCP")),
    "minio": (("api", 9000, "TCP"), ("console", 9001, "TCP")),
    "cassandra": (("cql", 9042, "TCP"), ("intra-node", 7000, "TCP"), ("jmx", 7199, "TCP")),
    "feature-store": (("grpc", 6566, "TCP"), ("http", 6567, "TCP")),
    "spark": (("driver", 7078, "TCP"), ("blockmanager", 7079, "TCP"), ("spark-ui", 4040, "TCP")),
    "airflow-worker": (("worker-logs", 8793, "TCP"),),
    "statsd": (("statsd-udp", 9125, "UDP"), ("metrics", 9102, "TCP")),
    "log-shipper": (("syslog-udp", 5140, "UDP"), ("http", 2020, "TCP")),
    "dcgm": (("metrics", 9400, "TCP"),),
    "sctp": (("ngap", 38412, "SCTP"), ("http", 8080, "TCP")),
    "diameter": (("diameter", 3868, "SCTP"), ("diameter-tcp", 3868, "TCP")),
    "unnamed": ((None, 8000, "TCP"),),
    "batch": (),
    "notebook": (("notebook-port", 8888, "TCP"),),
    "tensorboard": (("http", 6006, "TCP"),),
    "mlflow": (("http", 5000, "TCP"),),
    # The Kubeflow training operator's default port name and number for PyTorchJob.
    "pytorch": (("pytorchjob-port", 23456, "TCP"), ("metrics", 9090, "TCP")),
    # torchrun's c10d rendezvous, commonly left unnamed in JobSet templates.
    "jobset": ((None, 29500, "TCP"), ("metrics", 8000, "TCP")),
    "ray-head": (("gcs-server", 6379, "TCP"), ("dashboard", 8265, "TCP"), ("client", 10001, "TCP"),
                 ("metrics", 8080, "TCP")),
    "ray-worker": (("metrics", 8080, "TCP"),),
}


@dataclass(frozen=True, slots=True)
class App:
    name: str
    component: str
    tier: str
    role: str | None
    profile: str
    kinds: tuple[tuple[str, int], ...]  # (workload kind, weight)
    weight: int = 10  # how often a namespace of its purpose picks it; rare apps get 1 or 2


def _apps(rows: list[tuple]) -> tuple[App, ...]:
    return tuple(App(*row) for row in rows)


DEPLOY = (("Deployment", 1),)
STS = (("StatefulSet", 1),)

APPS: dict[str, tuple[App, ...]] = {
    "serving": _apps([
        ("frontend", "web", "frontend", None, "web", (("Deployment", 6), ("Pod", 1))),
        ("api-gateway", "gateway", "frontend", None, "gateway", DEPLOY),
        ("checkout", "api", "backend", None, "grpc", DEPLOY),
        ("cart", "api", "backend", None, "grpc", DEPLOY),
        ("catalog", "api", "backend", None, "web", DEPLOY),
        ("search-api", "api", "backend", None, "grpc", DEPLOY),
        ("recommendations", "api", "backend", None, "grpc", DEPLOY),
        ("auth", "api", "backend", None, "grpc", DEPLOY),
        ("user-profile", "api", "backend", None, "web", (("Deployment", 4), ("Pod", 1))),
        ("orders", "api", "backend", None, "grpc", DEPLOY),
        ("notifications", "worker", "backend", None, "web", DEPLOY),
        ("email-sender", "worker", "backend", None, "batch", DEPLOY),
        ("image-resizer", "worker", "backend", None, "unnamed", DEPLOY),
        ("model-server", "inference", "backend", "model-serving-pod", "triton", DEPLOY),
        ("session-cache", "cache", "data", "data-service-pod", "redis", STS),
        ("statsd-exporter", "observability", "backend", None, "statsd", DEPLOY),
        ("report-cron", "batch", "backend", None, "batch", (("CronJob", 1),)),
        ("db-migrate", "batch", "backend", None, "batch", (("Job", 1),)),
        ("debug-shell", "debug", "backend", None, "batch", (("Pod", 1),), 2),
        ("log-shipper", "observability", "backend", None, "log-shipper", (("DaemonSet", 1),), 1),
        # Telecom control planes are where SCTP shows up (5G NGAP, Diameter).
        ("amf", "signalling", "backend", None, "sctp", DEPLOY, 1),
        ("diameter-proxy", "signalling", "backend", None, "diameter", DEPLOY, 1),
    ]),
    "data": _apps([
        ("postgres", "database", "data", "data-service-pod", "postgres", STS),
        ("redis", "cache", "data", "data-service-pod", "redis", (("StatefulSet", 2), ("Deployment", 1))),
        ("kafka", "broker", "data", "data-service-pod", "kafka", STS),
        ("zookeeper", "coordination", "data", None, "zookeeper", STS),
        ("elasticsearch", "search", "data", "data-service-pod", "elasticsearch", STS),
        ("clickhouse", "database", "data", "data-service-pod", "clickhouse", STS),
        ("minio", "object-store", "data", "data-service-pod", "minio", STS),
        ("cassandra", "database", "data", "data-service-pod", "cassandra", STS),
        ("feature-store", "api", "data", "data-service-pod", "feature-store", DEPLOY),
        ("dataset-loader", "api", "data", "data-service-pod", "grpc", DEPLOY),
        ("etl-runner", "batch", "data", None, "batch", (("Job", 1), ("CronJob", 2))),
        ("spark-driver", "batch", "data", None, "spark", (("Pod", 1),)),
        ("airflow-scheduler", "scheduler", "data", None, "batch", DEPLOY),
        ("airflow-worker", "worker", "data", None, "airflow-worker", (("StatefulSet", 1), ("Deployment", 1))),
    ]),
    "ml-training": _apps([
        ("llm-pretrain", "trainer", "ml", "ml-training-pod", "pytorch", (("PyTorchJob", 1),)),
        ("bert-finetune", "trainer", "ml", "ml-training-pod", "pytorch", (("PyTorchJob", 1),)),
        ("resnet-train", "trainer", "ml", "ml-training-pod", "pytorch", (("PyTorchJob", 1),)),
        ("ddp-benchmark", "trainer", "ml", "ml-training-pod", "pytorch", (("PyTorchJob", 1),)),
        ("vit-train", "trainer", "ml", "ml-training-pod", "jobset", (("JobSet", 1),)),
        ("rlhf-ppo", "trainer", "ml", "ml-training-pod", "jobset", (("JobSet", 1),)),
        ("embedding-train", "trainer", "ml", "ml-training-pod", "jobset", (("JobSet", 1),)),
        ("ray-tune", "trainer", "ml", "ml-training-pod", "ray", (("RayCluster", 1),)),
        ("ray-data-prep", "preprocess", "ml", "ml-training-pod", "ray", (("RayCluster", 1),)),
        ("hparam-sweep", "trainer", "ml", "ml-training-pod", "ray", (("RayCluster", 1),)),
        ("tokenizer", "preprocess", "ml", None, "batch", (("Job", 1),)),
        ("notebook", "notebook", "ml", None, "notebook", (("StatefulSet", 3), ("Pod", 1))),
        ("tensorboard", "observability", "ml", None, "tensorboard", DEPLOY),
        ("mlflow", "tracking", "ml", None, "mlflow", DEPLOY),
        ("eval-harness", "batch", "ml", None, "batch", (("CronJob", 1), ("Job", 1))),
        ("dataset-cache", "cache", "ml", "data-service-pod", "redis", STS),
        ("dcgm-exporter", "observability", "ml", None, "dcgm", (("DaemonSet", 1),), 1),
    ]),
}

# Name suffixes that make a second copy of an app look like what people actually deploy.
VARIANTS: dict[str, tuple[str, ...]] = {
    "serving": ("canary", "v2", "internal", "public", "eu", "us"),
    "data": ("primary", "replica", "analytics", "cache", "events", "archive"),
    "ml-training": ("7b", "13b", "70b", "sweep", "ablation", "baseline", "nightly", "exp"),
}

VERSIONS: tuple[str, ...] = ("v1", "v2", "v3", "1.4.2", "2.0.0", "2024.06")
