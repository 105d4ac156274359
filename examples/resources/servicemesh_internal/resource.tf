# A namespace this resource creates and owns: destroy turns Service Connect off on
# every listed service, then deletes the namespace.
resource "servicemesh_internal" "example" {
  cluster     = "prod"
  namespace   = "internal.myapp"
  vpc_id      = "vpc-0abc1234def567890"
  description = "East-west traffic of myapp"

  tags = {
    team = "platform"
  }

  services = {
    # Clients call backend.internal.myapp:8080 (the container port of the alias).
    backend = {
      port_name = "backend-8080-tcp"
    }

    # Every default overridden.
    orders = {
      port_name                   = "orders-9090-tcp"
      discovery_name              = "orders-api"
      dns_name                    = "orders.internal.myapp"
      port                        = 80
      ingress_port_override       = 9091
      idle_timeout_seconds        = 600
      per_request_timeout_seconds = 30
    }
  }

  client_services = ["frontend"]

  wait_for_steady_state = true

  timeouts = {
    create = "30m"
  }
}

# An existing namespace (made elsewhere, e.g. by aws_service_discovery_private_dns_namespace):
# this resource wires services onto it and never creates or deletes it.
resource "servicemesh_internal" "shared" {
  cluster      = "batch"
  namespace_id = "ns-abcdefghijklmnop"

  services = {
    worker = { port_name = "worker-8000-tcp" }
  }
}

output "endpoints" {
  # { backend = "backend.internal.myapp:8080", orders = "orders.internal.myapp:80" }
  value = servicemesh_internal.example.endpoints
}
