//! Provider configuration on the standard AWS chain.
