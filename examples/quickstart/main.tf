# Quickstart: the seed scenario. One private DNS namespace, internal.myapp, and ECS
# Service Connect on every backend service of the cluster, so each reaches the others
# by name (backend.internal.myapp:8080) and east-west traffic stays in the VPC.
#
#   terraform init
#   terraform apply -var vpc_id=vpc-0123456789abcdef0
#
# `make demo` runs exactly this against a local AWS emulator.

terraform {
  required_version = ">= 1.5"

  required_providers {
    servicemesh = {
      source = "servicemesh/servicemesh"
    }
  }
}

# Credentials, region and endpoints come from the standard AWS chain.
provider "servicemesh" {}

variable "cluster" {
  description = "The ECS cluster that runs the services, as a name or an ARN."
  type        = string
  default     = "prod"
}

variable "vpc_id" {
  description = "The VPC the services run in: the namespace's private hosted zone is attached to it. The default is a placeholder; pass your own."
  type        = string
  default     = "vpc-0abc1234def567890"
}

resource "servicemesh_internal" "this" {
  cluster   = var.cluster
  namespace = "internal.myapp"
  vpc_id    = var.vpc_id

  # "Client and server": each serves on the port alias (the `name` of a port mapping in
  # its task definition) and calls the others.
  services = {
    backend  = { port_name = "backend-8080-tcp" }
    orders   = { port_name = "orders-9090-tcp" }
    payments = { port_name = "payments-7070-tcp" }
  }

  # "Client only": calls the backends, serves nothing.
  client_services = ["frontend"]
}

# Step 5 of the console recipe, after every plan and apply: every name in the namespace
# has a healthy instance behind it. The data source reads the mesh back, read only; it
# names the resource's attributes, so that on the first apply it is read after the mesh
# is made. A failed assertion is a warning, not an error.
data "servicemesh_internal" "mesh" {
  cluster   = servicemesh_internal.this.cluster
  namespace = servicemesh_internal.this.namespace_id
}

check "names_resolve" {
  assert {
    condition     = alltrue([for e in data.servicemesh_internal.mesh.instances : e.healthy > 0])
    error_message = "Some Service Connect endpoints have no healthy instance."
  }
}

output "endpoints" {
  description = "What clients call, by ECS service name."
  value       = servicemesh_internal.this.endpoints
}

output "namespace_id" {
  description = "The Cloud Map namespace the services are wired onto."
  value       = servicemesh_internal.this.namespace_id
}

output "instances" {
  description = "Instances Cloud Map has registered, and how many are healthy, behind each name."
  value       = data.servicemesh_internal.mesh.instances
}
