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

  # Standalone servers (EC2 instances, hosts over a VPN) named in the namespace:
  # erp.internal.myapp resolves to 10.0.3.12 inside the VPC.
  external_services = {
    erp    = { addresses = ["10.0.3.12"], port = 8069 }
    saleor = { addresses = ["10.0.4.20", "10.0.4.21"], port = 8000, ttl = 30 }
  }

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
  # { backend = "backend.internal.myapp:8080", erp = "erp.internal.myapp:8069",
  #   orders-api = "orders.internal.myapp:80", saleor = "saleor.internal.myapp:8000" }
  value = servicemesh_internal.example.endpoints
}
