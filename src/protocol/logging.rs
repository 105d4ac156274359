//! Logs in hclog's JSON shape on stderr, so Terraform shows them under TF_LOG.
//!
//! go-plugin reads a plugin's stderr line by line. A JSON line with `@level`,
//! `@message` and `@timestamp` becomes a structured entry of the provider's logger;
//! every other key becomes a key/value pair. Terraform filters those entries with
//! TF_LOG_PROVIDER / TF_LOG, which it passes down to us, so we read the same variables
//! and stay silent (and cheap) when nobody is listening. stdout is never touched: it
//! belongs to the handshake.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

use super::address::ProviderAddress;

/// The level Terraform asked for, from the most specific variable to the least: the
/// provider's own (`TF_LOG_PROVIDER_SERVICEMESH`), all providers', everything's.
pub fn level_from_env(
    provider: ProviderAddress,
    vars: &dyn Fn(&str) -> Option<String>,
) -> LevelFilter {
    let own = format!(
        "TF_LOG_PROVIDER_{}",
        provider.type_name().to_ascii_uppercase().replace('-', "_")
    );
    [own.as_str(), "TF_LOG_PROVIDER", "TF_LOG"]
        .iter()
        .find_map(|name| vars(name).filter(|v| !v.trim().is_empty()))
        .map(|value| parse_level(&value))
        .unwrap_or(LevelFilter::OFF)
}

fn parse_level(value: &str) -> LevelFilter {
    match value.trim().to_ascii_uppercase().as_str() {
        // TF_LOG=JSON means "trace, as JSON": the format is always JSON for us.
        "TRACE" | "JSON" => LevelFilter::TRACE,
        "DEBUG" => LevelFilter::DEBUG,
        "INFO" => LevelFilter::INFO,
        "WARN" => LevelFilter::WARN,
        "ERROR" => LevelFilter::ERROR,
        "OFF" => LevelFilter::OFF,
        // Terraform treats unknown values as TRACE; so do we.
        _ => LevelFilter::TRACE,
    }
}

/// Installs `provider`'s stderr JSON logger at the level the environment asks for.
pub fn init_from_env(provider: ProviderAddress) {
    let level = level_from_env(provider, &|name| std::env::var(name).ok());
    let layer = HclogLayer::new(level, std::io::stderr).named(provider);
    let subscriber = tracing_subscriber::registry().with(layer);
    // A second init (tests) keeps the first subscriber; that is fine.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Reports a panic as one error log entry, without a backtrace: Terraform passes
/// RUST_BACKTRACE through, and a wall of frames helps no practitioner.
pub fn install_panic_hook(provider: ProviderAddress) {
    let binary = provider.binary_name();
    std::panic::set_hook(Box::new(move |info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_string());
        tracing::error!("the provider panicked{location}: {message}; please report this bug");
        eprintln!("{binary} panicked{location}: {message}");
    }));
}

/// A tracing layer that writes one hclog JSON object per event.
pub struct HclogLayer<W> {
    level: LevelFilter,
    make_writer: W,
    /// Every entry's `@module` once [named](HclogLayer::named); as with hclog, an
    /// unnamed logger's entries have none.
    module: Option<String>,
    /// Crates whose events are logged at the level asked for: this library, and the
    /// provider's binary once named.
    own_crates: Vec<String>,
}

impl<W> HclogLayer<W> {
    pub fn new(level: LevelFilter, make_writer: W) -> Self {
        let library = module_path!().split("::").next().unwrap_or_default();
        Self {
            level,
            make_writer,
            module: None,
            own_crates: vec![library.to_string()],
        }
    }

    /// The logger of `provider`: its entries' `@module` is the name Terraform gives
    /// the provider's logger (`provider.terraform-provider-servicemesh`), and its
    /// binary's events count as its own.
    pub fn named(mut self, provider: ProviderAddress) -> Self {
        let binary = provider.binary_name();
        self.module = Some(format!("provider.{binary}"));
        self.own_crates.push(binary.replace('-', "_"));
        self
    }

    /// Our own logs at the level asked for; the AWS SDK's one step quieter (its request
    /// traces at TF_LOG=TRACE); the transport stack (h2, hyper, tonic, rustls) warnings
    /// only, since its frame-by-frame debug output drowns everything a practitioner
    /// needs.
    fn level_for_target(&self, target: &str) -> LevelFilter {
        let level = self.level;
        if self.own_crates.iter().any(|own| target.starts_with(own)) {
            return level;
        }
        if target.starts_with("aws_") {
            return match level {
                LevelFilter::TRACE => LevelFilter::DEBUG,
                LevelFilter::DEBUG => LevelFilter::INFO,
                other => other,
            };
        }
        level.min(LevelFilter::WARN)
    }
}

impl<S, W, Out> Layer<S> for HclogLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: Fn() -> Out + 'static,
    Out: std::io::Write,
{
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        self.level_for_target(metadata.target()) >= *metadata.level()
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut line = format_event(event, self.module.as_deref(), chrono::Utc::now());
        line.push('\n');
        // Logging must never take the provider down: a closed stderr is ignored.
        let _ = (self.make_writer)().write_all(line.as_bytes());
    }
}

/// hclog's level names.
fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// Renders one event as an hclog JSON line (without the newline), of the logger named
/// `module` if any.
pub fn format_event(
    event: &Event<'_>,
    module: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    let mut fields = FieldCollector::default();
    event.record(&mut fields);
    let mut entry = serde_json::Map::new();
    entry.insert("@level".into(), level_name(event.metadata().level()).into());
    entry.insert("@message".into(), fields.message.into());
    if let Some(module) = module {
        entry.insert("@module".into(), module.into());
    }
    // hclog's layout is Go's "2006-01-02T15:04:05.000000Z07:00": six fractional digits.
    entry.insert(
        "@timestamp".into(),
        now.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string().into(),
    );
    if let (Some(file), Some(line)) = (event.metadata().file(), event.metadata().line()) {
        entry.insert("@caller".into(), format!("{file}:{line}").into());
    }
    for (key, value) in fields.others {
        entry.insert(key, value);
    }
    serde_json::Value::Object(entry).to_string()
}

#[derive(Default)]
struct FieldCollector {
    message: String,
    others: BTreeMap<String, serde_json::Value>,
}

impl Visit for FieldCollector {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.others.insert(field.name().into(), value.into());
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.others.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.others.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.others.insert(field.name().into(), value.into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.others.insert(field.name().into(), text.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    const PROVIDER: ProviderAddress =
        ProviderAddress::new("registry.terraform.io/servicemesh/servicemesh");

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn most_specific_variable_wins() {
        assert_eq!(level_from_env(PROVIDER, &env(&[])), LevelFilter::OFF);
        assert_eq!(
            level_from_env(PROVIDER, &env(&[("TF_LOG", "info")])),
            LevelFilter::INFO
        );
        assert_eq!(
            level_from_env(
                PROVIDER,
                &env(&[("TF_LOG", "info"), ("TF_LOG_PROVIDER", "DEBUG")])
            ),
            LevelFilter::DEBUG
        );
        assert_eq!(
            level_from_env(
                PROVIDER,
                &env(&[
                    ("TF_LOG_PROVIDER", "DEBUG"),
                    ("TF_LOG_PROVIDER_SERVICEMESH", "trace")
                ])
            ),
            LevelFilter::TRACE
        );
        assert_eq!(
            level_from_env(PROVIDER, &env(&[("TF_LOG", "JSON")])),
            LevelFilter::TRACE
        );
        let hyphenated = ProviderAddress::new("registry.terraform.io/acme/mesh-tools");
        assert_eq!(
            level_from_env(hyphenated, &env(&[("TF_LOG_PROVIDER_MESH_TOOLS", "warn")])),
            LevelFilter::WARN
        );
    }

    #[test]
    fn transport_chatter_is_held_back() {
        let layer = |level| HclogLayer::new(level, std::io::sink).named(PROVIDER);
        let cases = [
            (
                LevelFilter::TRACE,
                "servicemesh::aws::ecs",
                LevelFilter::TRACE,
            ),
            (
                LevelFilter::TRACE,
                "terraform_provider_servicemesh",
                LevelFilter::TRACE,
            ),
            (
                LevelFilter::TRACE,
                "aws_smithy_runtime::client",
                LevelFilter::DEBUG,
            ),
            (
                LevelFilter::DEBUG,
                "h2::codec::framed_write",
                LevelFilter::WARN,
            ),
            (LevelFilter::ERROR, "hyper::proto", LevelFilter::ERROR),
        ];
        for (asked, target, logged) in cases {
            assert_eq!(layer(asked).level_for_target(target), logged, "{target}");
        }
    }

    #[test]
    fn writes_hclog_json_lines_at_the_chosen_level() {
        let buffer = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = buffer.clone();
        let writer = move || SharedWriter(sink.clone());
        let subscriber = tracing_subscriber::registry()
            .with(HclogLayer::new(LevelFilter::DEBUG, writer).named(PROVIDER));
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(cluster = "prod", services = 3_u64, "reading the mesh");
            tracing::trace!("too chatty");
        });
        let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        let entry: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(entry["@level"], "debug");
        assert_eq!(entry["@message"], "reading the mesh");
        assert_eq!(entry["@module"], "provider.terraform-provider-servicemesh");
        assert_eq!(entry["cluster"], "prod");
        assert_eq!(entry["services"], 3);
        let stamp = entry["@timestamp"].as_str().unwrap();
        // 2026-11-27T06:30:00.123456Z
        assert_eq!(stamp.len(), 27, "{stamp}");
        assert_eq!(&stamp[19..20], ".");
        assert!(stamp.ends_with('Z'));
    }

    struct SharedWriter(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for SharedWriter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
