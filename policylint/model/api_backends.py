"""Services the API server itself calls: admission webhooks, CRD conversion webhooks, aggregated APIs.

The API server is not a pod of any namespace, so a NetworkPolicy can admit it only by address
(which manifests do not know) or by opening the port to every source. Workloads behind these
Services therefore keep their serving port open on purpose, and the rules that judge openness
(PL406) must know which ports those are. Read from:

- `ValidatingWebhookConfiguration` / `MutatingWebhookConfiguration` (admissionregistration.k8s.io):
  `webhooks[].clientConfig.service`;
- `CustomResourceDefinition` (apiextensions.k8s.io): `spec.conversion.webhook.clientConfig.service`;
- `APIService` (apiregistration.k8s.io): `spec.service`.

Each names the Service's namespace, name and port (443 when not given, as the API defaults it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from policylint.load.nodes import Span, YMap, YSeq
from policylint.load.objects import RawObject
from policylint.model.fields import mapping_or_empty as _map

DEFAULT_PORT = 443


@dataclass(frozen=True, slots=True)
class ApiServerBackend:
    """A Service port the API server sends requests to."""

    namespace: str
    service: str
    port: int
    caller: str  # "MutatingWebhookConfiguration istio-sidecar-injector"
    span: Span  # the `service` reference



def _references(raw: RawObject) -> Iterator[Any]:
    """The `service` mappings of one object, by kind."""
    spec = _map(raw.node.get("spec"))
    if raw.group == "admissionregistration.k8s.io" and raw.kind in ("ValidatingWebhookConfiguration",
                                                                     "MutatingWebhookConfiguration"):
        hooks = raw.node.get("webhooks")
        for hook in hooks if isinstance(hooks, YSeq) else ():
            yield _map(_map(hook).get("clientConfig")).get("service")
    elif raw.group == "apiextensions.k8s.io" and raw.kind == "CustomResourceDefinition":
        webhook = _map(_map(spec.get("conversion")).get("webhook"))
        yield _map(webhook.get("clientConfig")).get("service")
    elif raw.group == "apiregistration.k8s.io" and raw.kind == "APIService":
        yield spec.get("service")


def api_server_backends(objects: Iterable[RawObject]) -> list[ApiServerBackend]:
    found = []
    for raw in objects:
        name = _map(raw.node.get("metadata")).get("name")
        for service in _references(raw):
            if not isinstance(service, YMap):
                continue
            namespace, service_name, port = service.get("namespace"), service.get("name"), service.get("port", DEFAULT_PORT)
            if not (isinstance(namespace, str) and isinstance(service_name, str)) or isinstance(port, bool) \
                    or not isinstance(port, int):
                continue  # the API server rejects such a reference; nothing is served by it
            found.append(ApiServerBackend(namespace, service_name, port, f"{raw.kind} {name}", service.span))
    return found
