helm template my-release ./charts/web -f values-prod.yaml | policylint check -
kustomize build overlays/prod | policylint check -
kubectl get ns,pods,deploy,sts,ds,jobs,cronjobs,netpol -A -o yaml | policylint check -
policylint check --pulumi infra/ k8s/
