//! The go-plugin handshake: what the host tells us through the environment, and the one
//! line we print on stdout so it can connect.
//!
//! Terraform and OpenTofu both launch providers through go-plugin. The host sets a magic
//! cookie (to catch people running the binary by hand), the protocol versions it speaks,
//! where to listen and, for AutoMTLS, its client certificate. We answer with
//! `CORE|APP|NETWORK|ADDRESS|grpc|CERT` and keep stdout quiet afterwards.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

use super::address::ProviderAddress;

/// The cookie Terraform and OpenTofu set for every provider they launch.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// go-plugin's own protocol version: always 1.
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The application protocol we serve: tfplugin6.
pub const APP_PROTOCOL_VERSION: u32 = 6;

/// The lowest Terraform version this provider supports: the oldest core of the version
/// matrix (`make matrix`, acceptance-tests/cores.txt), on which every feature it has
/// passes (docs/COMPATIBILITY.md; packaging.rs checks the two agree).
pub const LOWEST_SUPPORTED_TERRAFORM: &str = "1.6";

const DEFAULT_MIN_PORT: u16 = 10000;
const DEFAULT_MAX_PORT: u16 = 25000;

/// Shown when someone runs the provider binary directly.
pub fn not_a_program_message(provider: ProviderAddress) -> String {
    format!(
        "\
This binary is a plugin for Terraform and OpenTofu ({binary}).
It is not meant to be run directly: Terraform starts it for you.

To use it, declare it in your configuration:

  terraform {{
    required_providers {{
      {name} = {{ source = \"{source}\" }}
    }}
  }}

then run `terraform init` and `terraform plan`.
To debug it, run it with --debug and follow the instructions it prints.",
        binary = provider.binary_name(),
        name = provider.type_name(),
        source = provider.source(),
    )
}

/// The warning for a core that got past the handshake but is older than
/// [`LOWEST_SUPPORTED_TERRAFORM`] (Terraform 1.0 to 1.5 speak protocol 6), from the
/// version it reports in ConfigureProvider. `None` for a supported or unreadable version
/// (OpenTofu reports its own version, which starts at 1.6).
pub fn below_floor_warning(terraform_version: &str) -> Option<(String, String)> {
    let major_minor = |text: &str| -> Option<(u32, u32)> {
        let mut parts = text.trim().trim_start_matches('v').split(['.', '-']);
        Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    };
    let core = major_minor(terraform_version)?;
    let floor = major_minor(LOWEST_SUPPORTED_TERRAFORM)?;
    (core < floor).then(|| {
        (
            format!("Terraform {terraform_version} is older than this provider supports"),
            format!(
                "This provider is tested with Terraform {LOWEST_SUPPORTED_TERRAFORM} and later \
                 (docs/COMPATIBILITY.md). Terraform {terraform_version} speaks its plugin \
                 protocol, so commands may work, but nothing is tested on it: upgrade Terraform to \
                 {LOWEST_SUPPORTED_TERRAFORM} or later."
            ),
        )
    })
}

/// Why the handshake cannot go ahead.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HandshakeError {
    #[error("{}", not_a_program_message(*provider))]
    MissingCookie { provider: ProviderAddress },
    /// One line, without `|`: it is also printed on stdout, where go-plugin shows a line
    /// that is not a handshake to the user as an "Unrecognized remote plugin message"
    /// (the host discards a plugin's stderr unless TF_LOG is set).
    #[error(
        "This provider needs Terraform {LOWEST_SUPPORTED_TERRAFORM} or later (or OpenTofu): it \
         speaks plugin protocol {APP_PROTOCOL_VERSION}, and this Terraform offered only \
         protocol [{offered}], so it is older than 1.0 (Terraform 0.12 to 0.14 speak protocol 5 \
         only) and cannot load it at all. Upgrade Terraform to {LOWEST_SUPPORTED_TERRAFORM} or \
         later (docs/COMPATIBILITY.md)."
    )]
    UnsupportedProtocol { offered: String },
    #[error("invalid {name} {value:?}: {reason}")]
    InvalidSetting {
        name: &'static str,
        value: String,
        reason: String,
    },
}

/// What the host asked for, read from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeRequest {
    pub min_port: u16,
    pub max_port: u16,
    /// Where to put the unix socket's private directory, if the host chose one.
    pub unix_socket_dir: Option<PathBuf>,
    /// The host's AutoMTLS client certificate (PEM). `None` means serve plain.
    pub client_cert_pem: Option<String>,
}

impl HandshakeRequest {
    /// Reads the handshake for `provider` from the process environment.
    pub fn from_env(provider: ProviderAddress) -> Result<Self, HandshakeError> {
        Self::from_vars(provider, &std::env::vars().collect())
    }

    /// Reads the handshake for `provider` from a map of variables (the environment, in
    /// production).
    pub fn from_vars(
        provider: ProviderAddress,
        vars: &HashMap<String, String>,
    ) -> Result<Self, HandshakeError> {
        if vars.get(MAGIC_COOKIE_KEY).map(String::as_str) != Some(MAGIC_COOKIE_VALUE) {
            return Err(HandshakeError::MissingCookie { provider });
        }
        negotiate_version(vars.get("PLUGIN_PROTOCOL_VERSIONS").map(String::as_str))?;
        let min_port = port_setting(vars, "PLUGIN_MIN_PORT", DEFAULT_MIN_PORT)?;
        let max_port = port_setting(vars, "PLUGIN_MAX_PORT", DEFAULT_MAX_PORT)?;
        if min_port > max_port {
            return Err(HandshakeError::InvalidSetting {
                name: "PLUGIN_MIN_PORT",
                value: min_port.to_string(),
                reason: format!("greater than PLUGIN_MAX_PORT ({max_port})"),
            });
        }
        let non_empty = |key: &str| vars.get(key).filter(|v| !v.trim().is_empty()).cloned();
        Ok(Self {
            min_port,
            max_port,
            unix_socket_dir: non_empty("PLUGIN_UNIX_SOCKET_DIR").map(PathBuf::from),
            client_cert_pem: non_empty("PLUGIN_CLIENT_CERT"),
        })
    }
}

/// Picks protocol 6 from the host's comma-separated offer. A host that sends no list is
/// an old go-plugin host that assumes the plugin's default, which for us is 6.
pub fn negotiate_version(offered: Option<&str>) -> Result<u32, HandshakeError> {
    let Some(offered) = offered.filter(|o| !o.trim().is_empty()) else {
        return Ok(APP_PROTOCOL_VERSION);
    };
    let speaks_ours = offered
        .split(',')
        .any(|v| v.trim().parse::<u32>() == Ok(APP_PROTOCOL_VERSION));
    if speaks_ours {
        Ok(APP_PROTOCOL_VERSION)
    } else {
        Err(HandshakeError::UnsupportedProtocol {
            offered: offered.to_string(),
        })
    }
}

fn port_setting(
    vars: &HashMap<String, String>,
    name: &'static str,
    default: u16,
) -> Result<u16, HandshakeError> {
    match vars.get(name).filter(|v| !v.trim().is_empty()) {
        None => Ok(default),
        Some(value) => value
            .trim()
            .parse::<u16>()
            .map_err(|err| HandshakeError::InvalidSetting {
                name,
                value: value.clone(),
                reason: err.to_string(),
            }),
    }
}

/// Where the provider listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddress {
    Unix(PathBuf),
    Tcp(std::net::SocketAddr),
}

impl ListenAddress {
    fn network(&self) -> &'static str {
        match self {
            ListenAddress::Unix(_) => "unix",
            ListenAddress::Tcp(_) => "tcp",
        }
    }
}

impl fmt::Display for ListenAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddress::Unix(path) => write!(f, "{}", path.display()),
            ListenAddress::Tcp(addr) => write!(f, "{addr}"),
        }
    }
}

/// The single line printed on stdout once the server is listening.
pub fn handshake_line(address: &ListenAddress, server_cert_der: Option<&[u8]>) -> String {
    // go-plugin decodes the certificate with Go's RawStdEncoding: no padding.
    let cert = server_cert_der
        .map(|der| STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!(
        "{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|{}|{address}|grpc|{cert}",
        address.network()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROVIDER: ProviderAddress =
        ProviderAddress::new("registry.terraform.io/servicemesh/servicemesh");

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn with_cookie(extra: &[(&str, &str)]) -> HashMap<String, String> {
        let mut all = vars(extra);
        all.insert(MAGIC_COOKIE_KEY.into(), MAGIC_COOKIE_VALUE.into());
        all
    }

    #[test]
    fn refuses_to_start_without_the_cookie() {
        let err = HandshakeRequest::from_vars(PROVIDER, &vars(&[])).unwrap_err();
        assert_eq!(err, HandshakeError::MissingCookie { provider: PROVIDER });
        let message = err.to_string();
        assert!(
            message.contains("plugin for Terraform and OpenTofu (terraform-provider-servicemesh)")
        );
        assert!(message.contains("servicemesh = { source = \"servicemesh/servicemesh\" }"));
        let wrong = vars(&[(MAGIC_COOKIE_KEY, "nope")]);
        assert_eq!(
            HandshakeRequest::from_vars(PROVIDER, &wrong).unwrap_err(),
            HandshakeError::MissingCookie { provider: PROVIDER }
        );
    }

    #[test]
    fn picks_six_from_the_offer() {
        assert_eq!(negotiate_version(Some("5,6")), Ok(6));
        assert_eq!(negotiate_version(Some(" 6 ")), Ok(6));
        assert_eq!(negotiate_version(None), Ok(6));
    }

    #[test]
    fn refuses_an_offer_without_six() {
        let err = negotiate_version(Some("4,5")).unwrap_err();
        assert!(matches!(err, HandshakeError::UnsupportedProtocol { .. }));
        let message = err.to_string();
        assert!(message.contains("[4,5]"), "{message}");
        assert!(
            message.contains("needs Terraform 1.6 or later"),
            "names the floor: {message}"
        );
        // go-plugin reads a handshake as fields split at '|': the refusal must not look
        // like one, and must fit on the one line the host reads.
        assert!(
            !message.contains('|') && !message.contains('\n'),
            "{message}"
        );
        let err = HandshakeRequest::from_vars(
            PROVIDER,
            &with_cookie(&[("PLUGIN_PROTOCOL_VERSIONS", "5")]),
        );
        assert!(matches!(
            err,
            Err(HandshakeError::UnsupportedProtocol { .. })
        ));
    }

    #[test]
    fn warns_a_core_below_the_floor_and_no_other() {
        let (summary, detail) = below_floor_warning("1.5.7").expect("1.5.7 is below 1.6");
        assert_eq!(
            summary,
            "Terraform 1.5.7 is older than this provider supports"
        );
        assert!(detail.contains("Terraform 1.6 and later"), "{detail}");
        assert!(below_floor_warning("1.0.0").is_some());
        for supported in [
            "1.6.0",
            "1.6.6",
            "1.10.5",
            "1.15.5",
            "2.0.0-alpha1",
            "v1.8.4",
        ] {
            assert_eq!(below_floor_warning(supported), None, "{supported}");
        }
        // A host that says nothing readable is not warned.
        assert_eq!(below_floor_warning(""), None);
        assert_eq!(below_floor_warning("dev"), None);
    }

    #[test]
    fn reads_ports_socket_dir_and_client_cert() {
        let req = HandshakeRequest::from_vars(
            PROVIDER,
            &with_cookie(&[
                ("PLUGIN_PROTOCOL_VERSIONS", "6"),
                ("PLUGIN_MIN_PORT", "12000"),
                ("PLUGIN_MAX_PORT", "12010"),
                ("PLUGIN_UNIX_SOCKET_DIR", "/run/tf"),
                ("PLUGIN_CLIENT_CERT", "-----BEGIN CERTIFICATE-----"),
            ]),
        )
        .unwrap();
        assert_eq!((req.min_port, req.max_port), (12000, 12010));
        assert_eq!(req.unix_socket_dir, Some(PathBuf::from("/run/tf")));
        assert!(req.client_cert_pem.is_some());
        let defaults = HandshakeRequest::from_vars(PROVIDER, &with_cookie(&[])).unwrap();
        assert_eq!((defaults.min_port, defaults.max_port), (10000, 25000));
        assert_eq!(defaults.client_cert_pem, None);
    }

    #[test]
    fn rejects_bad_port_settings() {
        let err =
            HandshakeRequest::from_vars(PROVIDER, &with_cookie(&[("PLUGIN_MIN_PORT", "lots")]));
        assert!(matches!(
            err,
            Err(HandshakeError::InvalidSetting {
                name: "PLUGIN_MIN_PORT",
                ..
            })
        ));
        let err = HandshakeRequest::from_vars(
            PROVIDER,
            &with_cookie(&[("PLUGIN_MIN_PORT", "20000"), ("PLUGIN_MAX_PORT", "10000")]),
        );
        assert!(matches!(err, Err(HandshakeError::InvalidSetting { .. })));
    }

    #[test]
    fn formats_the_handshake_line() {
        let unix = ListenAddress::Unix(PathBuf::from("/tmp/p/plugin.sock"));
        // 0xfb 0xff encodes to "+/8=" with padding; go-plugin wants it without.
        assert_eq!(
            handshake_line(&unix, Some(&[0xfb, 0xff])),
            "1|6|unix|/tmp/p/plugin.sock|grpc|+/8"
        );
        let tcp = ListenAddress::Tcp("127.0.0.1:12001".parse().unwrap());
        assert_eq!(handshake_line(&tcp, None), "1|6|tcp|127.0.0.1:12001|grpc|");
    }
}
