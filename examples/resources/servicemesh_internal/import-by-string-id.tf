# Terraform 1.5 and later: import with an `import` block and plan it like any change.
import {
  to = servicemesh_internal.example
  id = "prod/internal.myapp"
}
