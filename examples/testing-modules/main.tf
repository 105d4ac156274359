# A module that wires an application's services together and hands its callers the
# URL of its API. tests/ tests it with `terraform test` and a mocked servicemesh
# provider: no AWS account, no credentials, nothing created.

terraform {
  required_version = ">= 1.11"

  required_providers {
    servicemesh = {
      source = "servicemesh/servicemesh"
    }
  }
}

variable "app" {
  description = "The application: its namespace is internal.<app>."
  type        = string
}

variable "cluster" {
  description = "The ECS cluster of the services."
  type        = string
}

variable "vpc_id" {
  description = "The VPC the services run in."
  type        = string
}

variable "servers" {
  description = "The services that serve, each with its port alias."
  type        = map(string)
}

variable "clients" {
  description = "The services that only call the others."
  type        = set(string)
  default     = []
}

resource "servicemesh_internal" "this" {
  cluster   = var.cluster
  namespace = "internal.${var.app}"
  vpc_id    = var.vpc_id

  services        = { for name, port_name in var.servers : name => { port_name = port_name } }
  client_services = var.clients
}

output "api_url" {
  description = "What the application's clients call."
  value       = "http://${servicemesh_internal.this.endpoints["api"]}"
}

output "namespace_id" {
  value = servicemesh_internal.this.namespace_id
}
