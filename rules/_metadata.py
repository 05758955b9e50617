"""Cloud metadata endpoints, shared by the rules that protect them (PL206 on ipBlocks alone, PL508
for training pods through the engine). This module is not a rule and is not registered.

The instance metadata service hands out the node's or the workload's cloud credentials:
`169.254.169.254` (AWS, GCP, Azure), `169.254.170.23` (EKS Pod Identity) and `fd00:ec2::254`
(AWS IMDS over IPv6), all answering plain HTTP on TCP port 80.
"""
from __future__ import annotations

METADATA_ADDRESSES = ("169.254.169.254", "169.254.170.23", "fd00:ec2::254")
METADATA_PORTS = (80,)
