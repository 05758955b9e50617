policylint check --format junit --output policylint-junit.xml k8s/
