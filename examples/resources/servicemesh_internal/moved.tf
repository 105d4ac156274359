# Terraform 1.8 and later: take over a namespace that the hashicorp/aws provider managed,
# without recreating it. Replace the aws_service_discovery_private_dns_namespace block
# with a servicemesh_internal of the same namespace and VPC, and say where it went. The
# next apply wires the services.
moved {
  from = aws_service_discovery_private_dns_namespace.internal
  to   = servicemesh_internal.example
}
