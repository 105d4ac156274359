# override_during = plan makes the mock's values known in plan runs too. The mock then
# invents every computed value it has no default for (ids, ARNs, discovery and DNS
# names) when it plans, and invents them again when an apply run plans the same change
# a second time: Terraform sees the planned values change and stops with "Provider
# produced inconsistent final plan". So here every computed value the mock would invent
# has a default, and the apply run below passes too.
mock_provider "servicemesh" {
  override_during = plan

  mock_resource "servicemesh_internal" {
    defaults = {
      id             = "ns-0123456789abcdef"
      namespace_id   = "ns-0123456789abcdef"
      namespace_arn  = "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-0123456789abcdef"
      hosted_zone_id = "Z0123456789ABCDEFGHIJ"
      endpoints      = { api = "api.internal.shop:8080" }

      # Applies to every entry of `services`.
      services = {
        discovery_name = "api"
        dns_name       = "api.internal.shop"
      }
    }
  }
}

variables {
  app     = "shop"
  cluster = "prod"
  vpc_id  = "vpc-0abc1234def567890"
  servers = { api = "api-8080-tcp" }
}

run "plans_the_api_url" {
  command = plan

  assert {
    condition     = output.api_url == "http://api.internal.shop:8080"
    error_message = "api_url is ${output.api_url}"
  }
}

run "applies_the_same_values" {
  assert {
    condition     = output.namespace_id == "ns-0123456789abcdef"
    error_message = "namespace_id is ${output.namespace_id}"
  }
}
