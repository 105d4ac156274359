"""A local AWS for the acceptance tests: moto 5.2.5 in server mode, patched where it departs from AWS.

Modules:
  launcher       command line, HTTP server, READY line, signals
  middleware     the WSGI layer in front of moto: control API, counters, latency, faults
  control        the JSON control API under /_emulator/
  protocol       which AWS call a request is, and AWS-shaped error bodies per protocol
  faults         fault and latency rules
  settings       switches for emulated timing (rollouts, Cloud Map operations)
  patching       a small registry of replaced moto methods
  paging         one paging helper for the List* calls of every API
  ecs            ECS service and deployment patches
  rollouts       deployments run by pretend tasks: rollouts, Cloud Map instances, failures, the log
  service_connect  Service Connect validation and Cloud Map resources
  cloudmap       Cloud Map namespace and service patches
  cloudmap_operations  asynchronous Cloud Map operations
  cloudmap_instances   services with DNS records, instances, their operations and Route 53 records
  cloudmap_listing     filters and paging for Cloud Map list calls
  cloudmap_errors      Cloud Map errors with the members the model declares
  cloudmap_sharing     namespaces shared from another account (control API hook)
  route53        the private hosted zone behind a DNS namespace, and its VPC associations
"""
