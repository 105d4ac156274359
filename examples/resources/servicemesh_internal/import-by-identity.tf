# Terraform 1.12 and later: import by resource identity instead of an id string.
import {
  to = servicemesh_internal.example
  identity = {
    cluster      = "prod"
    namespace_id = "ns-abcdefghijklmnop"
    region       = "eu-west-1"
  }
}
