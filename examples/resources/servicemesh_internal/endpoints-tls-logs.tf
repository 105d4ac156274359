# A service that serves two ports (HTTP and gRPC), TLS from an AWS Private CA, and the
# Service Connect proxies' logs and access logs in CloudWatch Logs.
resource "servicemesh_internal" "secure" {
  cluster   = "prod"
  namespace = "internal.myapp"
  vpc_id    = "vpc-0abc1234def567890"

  services = {
    # One endpoint: the short form.
    backend = { port_name = "backend-8080-tcp" }

    # Several endpoints, keyed by discovery name (unique in the namespace).
    api = {
      endpoints = {
        api = {
          port_name                   = "api-8080-tcp"
          per_request_timeout_seconds = 30 # an HTTP port (appProtocol "http")
        }
        api-grpc = {
          port_name = "api-9090-tcp"
          # This endpoint's own TLS, in place of the mesh-wide one below.
          tls = {
            aws_pca_authority_arn = "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
            kms_key               = "alias/service-connect"
            role_arn              = "arn:aws:iam::123456789012:role/ecs-service-connect-tls"
          }
        }
      }
      # This service's proxy logs, in place of the mesh-wide ones.
      log_configuration = {
        log_driver = "awslogs"
        options = {
          awslogs-group         = "/ecs/prod/api/service-connect"
          awslogs-region        = "eu-west-1"
          awslogs-stream-prefix = "proxy"
        }
      }
    }
  }
  client_services = ["frontend"]

  # Mesh-wide: every endpoint and service that sets none of its own. Left out, settings
  # made outside Terraform are kept; removed from here, they are removed.
  idle_timeout_seconds        = 600
  per_request_timeout_seconds = 60 # HTTP, HTTP/2 and gRPC ports only
  tls = {
    aws_pca_authority_arn = "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
  }
  log_configuration = {
    log_driver = "awslogs"
    options = {
      awslogs-group         = "/ecs/prod/service-connect"
      awslogs-region        = "eu-west-1"
      awslogs-stream-prefix = "proxy"
    }
  }
  access_log_configuration = {
    format                   = "JSON"
    include_query_parameters = false
  }
}

output "secure_endpoints" {
  # { api = "api.internal.myapp:8080", api-grpc = "api-grpc.internal.myapp:9090", backend = … }
  value = servicemesh_internal.secure.endpoints
}
