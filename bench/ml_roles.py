"""The ML intent rules (PL500-PL506) on a cluster where both roles have tens of thousands of pods.

Not part of the test suite. Generates one `kind: List` export (as `kubectl get pods,services -o
yaml` would give) of bare Pods: training pods of PyTorchJobs (every pod its own class, as in a
real export: each carries its replica index) and data-service pods (each with its own pod-name
label), their pod IPs, a data-service Service, and the policies a platform team would write — half
of the training namespaces with the seed's mistake (a podSelector-only peer for the data
service), so PL501 has thousands of blocked classes to explain. Then times `check` with the PL5xx
rules (and PL500 with one expectation from the training role to the data-service role) and reports
wall time and peak RSS.

    python bench/ml_roles.py                       # 20,000 training and 20,000 data-service pods
    python bench/ml_roles.py --training 30000 --data 30000 --keep OUT
"""
from __future__ import annotations

import argparse
import ipaddress
import resource
import sys
import tempfile
import time
from pathlib import Path

JOB_PODS = 64  # pods per PyTorchJob (1 master + 63 workers)
TRAINING_NAMESPACES = 20


def _pod(lines: list[str], name: str, namespace: str, labels: dict[str, str], ip: str, env: dict[str, str],
         ports: list[tuple[str, int]]) -> None:
    lines.append("- apiVersion: v1\n  kind: Pod\n  metadata:\n")
    lines.append(f"    name: {name}\n    namespace: {namespace}\n    labels:\n")
    lines.extend(f"      {k}: \"{v}\"\n" for k, v in labels.items())
    lines.append("  spec:\n    containers:\n    - name: main\n      image: ghcr.io/example-org/app:1.0\n")
    if env:
        lines.append("      env:\n")
        lines.extend(f"      - name: {k}\n        value: \"{v}\"\n" for k, v in env.items())
    if ports:
        lines.append("      ports:\n")
        lines.extend(f"      - name: {n}\n        containerPort: {p}\n" for n, p in ports)
    lines.append(f"  status:\n    podIP: {ip}\n")


def generate(out: Path, training: int, data: int) -> Path:
    lines = ["# synthetic: bench/ml_roles.py\napiVersion: v1\nkind: List\nitems:\n"]
    addresses = ipaddress.ip_network("10.0.0.0/8").hosts()
    namespaces = [f"train-{i:02d}" for i in range(TRAINING_NAMESPACES)]
    for ns in namespaces + ["data-services", "kube-system"]:
        lines.append(f"- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: {ns}\n    labels:\n"
                     f"      purpose: \"{'ml-training' if ns.startswith('train') else 'platform'}\"\n")
    _pod(lines, "coredns-0", "kube-system", {"k8s-app": "kube-dns"}, str(next(addresses)), {},
         [("dns", 53)])
    for i in range(data):
        _pod(lines, f"feature-store-{i}", "data-services",
             {"app": "feature-store", "role": "data-service-pod", "statefulset.kubernetes.io/pod-name": f"fs-{i}"},
             str(next(addresses)), {}, [("http", 8080)])
    lines.append("- apiVersion: v1\n  kind: Service\n  metadata:\n    name: feature-store\n"
                 "    namespace: data-services\n  spec:\n    selector:\n      app: feature-store\n"
                 "    ports:\n    - name: http\n      port: 80\n      targetPort: http\n")
    for i in range(training):
        job, index = divmod(i, JOB_PODS)
        ns = namespaces[job % len(namespaces)]
        rtype = "master" if index == 0 else "worker"
        labels = {"training.kubeflow.org/job-name": f"job-{job}", "training.kubeflow.org/replica-type": rtype,
                  "training.kubeflow.org/replica-index": str(index if rtype == "worker" else 0),
                  "training.kubeflow.org/operator-name": "pytorchjob-controller", "role": "ml-training-pod"}
        env = {"FEATURE_STORE_URL": "http://feature-store.data-services.svc:80", "MASTER_PORT": "23456",
               "CHECKPOINT_URI": f"s3://example-checkpoints/job-{job}"}
        _pod(lines, f"job-{job}-{rtype}-{index}", ns, labels, str(next(addresses)), env, [])
    for n, ns in enumerate(namespaces):
        broken = n % 2 == 1
        data_peer = ("        - podSelector:\n            matchLabels:\n              role: data-service-pod\n" if broken
                     else "        - namespaceSelector:\n            matchLabels:\n"
                          "              kubernetes.io/metadata.name: data-services\n"
                          "          podSelector:\n            matchLabels:\n              role: data-service-pod\n")
        lines.append(
            f"- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata:\n    name: training\n"
            f"    namespace: {ns}\n  spec:\n    podSelector:\n      matchLabels:\n        role: ml-training-pod\n"
            f"    policyTypes: [Ingress, Egress]\n    ingress:\n    - from:\n      - podSelector:\n"
            f"          matchLabels:\n            role: ml-training-pod\n    egress:\n    - to:\n"
            f"      - podSelector:\n          matchLabels:\n            role: ml-training-pod\n    - to:\n{data_peer}"
            f"      ports:\n      - protocol: TCP\n        port: 8080\n    - to:\n      - namespaceSelector: {{}}\n"
            f"        podSelector:\n          matchLabels:\n            k8s-app: kube-dns\n      ports:\n"
            f"      - protocol: UDP\n        port: 53\n      - protocol: TCP\n        port: 53\n")
    lines.append(
        "- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata:\n    name: feature-store\n"
        "    namespace: data-services\n  spec:\n    podSelector:\n      matchLabels:\n        app: feature-store\n"
        "    policyTypes: [Ingress]\n    ingress:\n    - from:\n      - namespaceSelector:\n"
        "          matchLabels:\n            purpose: ml-training\n      ports:\n      - protocol: TCP\n"
        "        port: 8080\n")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "cluster.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--training", type=int, default=20000)
    parser.add_argument("--data", type=int, default=20000)
    parser.add_argument("--keep", type=Path, help="write the cluster here instead of a temporary folder")
    args = parser.parse_args()
    from policylint.analysis import analyse
    from policylint.config import load_config

    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        path = generate(out, args.training, args.data)
        size = path.stat().st_size
        # PL500 too: one expectation over both roles (tens of thousands of pods on each side)
        config_path = out / "policylint-config.yaml"
        config_path.write_text("expectations:\n  - name: training reads features\n    from: training\n"
                               "    to: data-service\n    ports: [8080/TCP]\n", encoding="utf-8")
        config = load_config(config_path)
        start = time.perf_counter()
        analysis = analyse([str(path)], config, select=["PL500", "PL501", "PL502", "PL503", "PL504", "PL505", "PL506"])
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        codes: dict[str, int] = {}
        for finding in analysis.findings:
            codes[finding.code] = codes.get(finding.code, 0) + 1
        print(f"{args.training} training pods, {args.data} data-service pods, {size / 1e6:.1f} MB: "
              f"{elapsed:.1f} s wall (load, model, engine and PL500-PL506), peak RSS {peak:.0f} MiB; "
              f"findings {dict(sorted(codes.items()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
