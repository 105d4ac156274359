# The provider is mocked: Terraform asks the real provider for its schema and its
# validation, and makes up everything the provider would compute. `endpoints` is such a
# value; without a default it would be an empty map, and output.api_url would fail.
mock_provider "servicemesh" {
  mock_resource "servicemesh_internal" {
    defaults = {
      endpoints = { api = "api.internal.shop:8080" }
    }
  }
}

variables {
  app     = "shop"
  cluster = "prod"
  vpc_id  = "vpc-0abc1234def567890"
  servers = { api = "api-8080-tcp" }
  clients = ["web"]
}

# A plan run sees what the configuration decides. The mock's values are "known after
# apply" in a plan (override_during defaults to apply), so this run does not assert on
# output.api_url: a condition on an unknown value fails the run.
run "names_the_namespace_after_the_app" {
  command = plan

  assert {
    condition     = servicemesh_internal.this.namespace == "internal.shop"
    error_message = "the namespace is internal.<app>"
  }

  assert {
    condition     = servicemesh_internal.this.client_services == toset(["web"])
    error_message = "web only calls"
  }
}

# An apply run: the mock "creates" the mesh with the defaults above.
run "hands_out_the_api_url" {
  assert {
    condition     = output.api_url == "http://api.internal.shop:8080"
    error_message = "api_url is ${output.api_url}"
  }
}

# One run can set its own values for the resource, e.g. another port. Overrides apply
# when the mock creates the resource, and an apply run leaves its state to the runs after
# it (where the mesh already exists and is not created again): this run keeps a state of
# its own.
run "follows_the_endpoint_the_provider_reports" {
  state_key = "another_port"

  override_resource {
    target = servicemesh_internal.this
    values = {
      endpoints = { api = "api.internal.shop:9090" }
    }
  }

  assert {
    condition     = output.api_url == "http://api.internal.shop:9090"
    error_message = "api_url is ${output.api_url}"
  }
}
