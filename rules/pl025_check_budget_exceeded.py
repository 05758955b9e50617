"""Object not fully checked: a rule's work budget ran out.

## What it does
Reports an object that a rule stopped checking because it would have needed more than its
work budget. Only the rules whose cost can grow faster than their input have a budget:
PL401 (redundant-rule) per policy and PL402 (redundant-policy) per namespace, and the exposure
analysis behind PL404, PL406 and PL507 per rule. The findings that
rule made before stopping are still reported and hold; what it did not reach is unknown. This
finding is reported whenever such a rule runs, even when PL025 is not selected (a check that
was not finished must never pass for a clean one); `ignore` it to silence it.

Complexity: O(1) per finding; the budgets are counted by the rules that own them.

## Why is this bad?
A budget runs out on inputs far larger or more tangled than real policies (hundreds of rules
whose ipBlocks cut each other, selectors with long `In` lists): often generated or crafted
input. The redundancy answer for that object is incomplete. Raise the rule's `budget` option
if the input is genuine and you accept the time, or simplify the policy.

## Example
```yaml
# .policylint.yaml
rules:
  PL401:
    budget: 10
```
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-ingress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
    - Ingress
  ingress:
    - from:
        - ipBlock:
            cidr: 10.0.0.0/8
            except:
              - 10.1.0.0/16
      ports:
        - port: 8080
    - from:
        - ipBlock:
            cidr: 10.0.0.0/8
            except:
              - 10.2.0.0/16
      ports:
        - port: 8080
    - from:
        - ipBlock:
            cidr: 10.0.0.0/8
            except:
              - 10.3.0.0/16
      ports:
        - port: 8080
```

Use instead:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-ingress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
    - Ingress
  ingress:
    - from:
        - ipBlock:
            cidr: 10.0.0.0/8
      ports:
        - port: 8080
```

## References
- PL401 (redundant-rule) and PL402 (redundant-policy), option `budget`
- PL404, PL406 and PL507 (the exposure analysis: regions and overlap tests), option `budget`
- `docs/complexity.md`: the cost of every rule and command
"""
from __future__ import annotations

from typing import Iterator

from policylint.findings import Finding, Severity
from policylint.rule_api import RuleContext

CODE = "PL025"
NAME = "check-budget-exceeded"
SEVERITY = Severity.INFO
SCOPE = "input"
REMEDIATION = "Simplify the object, or raise the `budget` option of the rule named in the message if the input is genuine."


def check(ctx: RuleContext, cluster: object, options: dict) -> Iterator[Finding]:
    # Reported by the rules that own a budget (see policylint.rules._budget).
    return iter(())
