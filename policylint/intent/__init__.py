"""Intents: roles (which pods are training, data service, DNS, …), training jobs and what their
frameworks need from the network, and the config's connectivity expectations. Read by the PL5xx
rules and by `policylint roles`."""
