//! The mesh domain: desired versus observed state, naming rules, and the plan of
//! changes. Pure: no I/O, no SDK types, no protocol types.

pub mod model;
pub mod names;
pub mod reconcile;
pub mod validate;
