//! The mesh domain: desired versus observed state, naming rules, and the plan of
//! changes. Pure: no I/O and no SDK types; of the protocol it uses only the plain value
//! types [`Attr`](crate::protocol::value::Attr) (known, null or unknown) and
//! [`Number`](crate::protocol::value::Number) (an exact Terraform number).

pub mod external;
pub mod model;
pub mod names;
pub mod reconcile;
pub mod rollout;
pub mod validate;
