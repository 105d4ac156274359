# Import a mesh built by hand (or by the console) with `<cluster>/<namespace>`: the id is
# split at its last "/", the cluster is a name or an ARN, and the namespace a name or an
# id. Every service of the cluster wired to the namespace is read into the state.
terraform import servicemesh_internal.example prod/internal.myapp

# The same by namespace id, with the cluster as an ARN.
terraform import servicemesh_internal.example arn:aws:ecs:eu-west-1:123456789012:cluster/prod/ns-abcdefghijklmnop
