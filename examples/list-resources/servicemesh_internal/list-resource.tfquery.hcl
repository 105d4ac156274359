# Terraform 1.14 and later: `terraform query` finds every mesh the services of a cluster
# use, one result per namespace, each with its identity. With include_resource, each
# result carries the whole object, so
#
#   terraform query -generate-config-out=generated.tf
#
# writes an import block and a resource block for each mesh found.
list "servicemesh_internal" "prod" {
  provider         = servicemesh
  include_resource = true

  config {
    cluster = "prod"
  }
}
