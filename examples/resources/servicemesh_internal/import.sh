# Import a mesh built by hand (or by the console) with `<cluster>/<namespace>`: the id is
# split at its last "/", the cluster is a name or an ARN, and the namespace a name or an
# id. Every service of the cluster wired to the namespace is read into the state. By name,
# the resource owns the namespace (a `namespace` + `vpc_id` configuration).
terraform import servicemesh_internal.example prod/internal.myapp

# By namespace id, with the cluster as an ARN: the resource wires onto the namespace
# without owning it (a `namespace_id` configuration).
terraform import servicemesh_internal.example arn:aws:ecs:eu-west-1:123456789012:cluster/prod/ns-abcdefghijklmnop
