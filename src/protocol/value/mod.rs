//! Terraform values (cty) on the wire: msgpack and JSON DynamicValues, with unknowns.
