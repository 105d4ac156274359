//! Who is being served. The binary names its provider once, by address, as
//! terraform-plugin-go's `tf6server.Serve(name, …)` is told it; the protocol layer
//! derives every other name it prints from that address (the executable's name in
//! messages and logs, the `TF_LOG_PROVIDER_*` variable, the reattach key).

/// A provider's full address, `hostname/namespace/type`, as in
/// `registry.terraform.io/hashicorp/aws`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProviderAddress {
    address: &'static str,
}

/// The registry Terraform assumes when a `source` leaves the hostname out.
const DEFAULT_REGISTRY: &str = "registry.terraform.io";

impl ProviderAddress {
    /// Panics (at compile time when used in a `const`) unless `address` is three
    /// non-empty parts joined by `/`.
    pub const fn new(address: &'static str) -> Self {
        let bytes = address.as_bytes();
        let mut slashes = 0;
        let mut index = 0;
        while index < bytes.len() {
            if bytes[index] == b'/' {
                let empty_part = index == 0 || bytes[index - 1] == b'/';
                assert!(!empty_part, "a provider address has no empty part");
                slashes += 1;
            }
            index += 1;
        }
        assert!(
            slashes == 2 && bytes[bytes.len() - 1] != b'/',
            "a provider address is hostname/namespace/type"
        );
        Self { address }
    }

    /// The whole address: `registry.terraform.io/servicemesh/servicemesh`.
    pub fn as_str(&self) -> &'static str {
        self.address
    }

    /// The provider's type, its last part and local name: `servicemesh`.
    pub fn type_name(&self) -> &'static str {
        let (_, type_name) = self
            .address
            .rsplit_once('/')
            .expect("checked in ProviderAddress::new");
        type_name
    }

    /// What a `required_providers` entry's `source` says: `servicemesh/servicemesh`,
    /// with the hostname only when it is not the public registry.
    pub fn source(&self) -> &'static str {
        let (hostname, rest) = self
            .address
            .split_once('/')
            .expect("checked in ProviderAddress::new");
        if hostname == DEFAULT_REGISTRY {
            rest
        } else {
            self.address
        }
    }

    /// The executable's name, which Terraform requires to be `terraform-provider-TYPE`.
    pub fn binary_name(&self) -> String {
        format!("terraform-provider-{}", self.type_name())
    }
}

impl std::fmt::Display for ProviderAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_from_the_address() {
        let ours = ProviderAddress::new("registry.terraform.io/servicemesh/servicemesh");
        assert_eq!(ours.type_name(), "servicemesh");
        assert_eq!(ours.source(), "servicemesh/servicemesh");
        assert_eq!(ours.binary_name(), "terraform-provider-servicemesh");
        assert_eq!(
            ours.to_string(),
            "registry.terraform.io/servicemesh/servicemesh"
        );
        let private = ProviderAddress::new("tf.example.com/platform/mesh-tools");
        assert_eq!(private.source(), "tf.example.com/platform/mesh-tools");
        assert_eq!(private.binary_name(), "terraform-provider-mesh-tools");
    }

    #[test]
    #[should_panic(expected = "hostname/namespace/type")]
    fn an_address_needs_three_parts() {
        ProviderAddress::new("servicemesh/servicemesh");
    }

    #[test]
    #[should_panic(expected = "no empty part")]
    fn an_address_has_no_empty_part() {
        ProviderAddress::new("registry.terraform.io//servicemesh");
    }
}
