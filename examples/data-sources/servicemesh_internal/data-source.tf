# Read a mesh made elsewhere (by servicemesh_internal in another configuration, or in
# the console): read only, no change is made.
data "servicemesh_internal" "mesh" {
  cluster   = "prod"
  namespace = "internal.myapp" # name, id or ARN
}

# The endpoints another stack calls: { backend = "backend.internal.myapp:8080", … }
output "endpoints" {
  value = data.servicemesh_internal.mesh.endpoints
}

# Step 5 of the console recipe, after every plan and apply: every name in the namespace
# has a healthy instance behind it. A failed assertion is a warning, not an error.
check "names_resolve" {
  assert {
    condition     = alltrue([for e in data.servicemesh_internal.mesh.instances : e.healthy > 0])
    error_message = "Some Service Connect endpoints have no healthy instance."
  }
}
