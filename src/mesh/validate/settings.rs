//! Rules on TLS, the proxy's logs and its access logs: their values one at a time, and
//! each place they are written (the resource, a `services` entry, an endpoint).

use super::*;

/// An AWS Private CA ARN for examples.
const EXAMPLE_CA: &str = "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/1234abcd-12ab-34cd-56ef-1234567890ab";

/// botocore ECS `LogDriver`.
pub const LOG_DRIVERS: [&str; 8] = [
    "json-file",
    "syslog",
    "journald",
    "gelf",
    "fluentd",
    "awslogs",
    "splunk",
    "awsfirelens",
];

/// botocore ECS `ServiceConnectAccessLoggingFormat`.
pub const ACCESS_LOG_FORMATS: [&str; 2] = ["TEXT", "JSON"];

/// IAM role names: 1-64 characters.
pub const MAX_ROLE_NAME: usize = 64;
/// KMS `AliasNameType`: at most 256 characters, `alias/` included.
pub const MAX_KMS_ALIAS: usize = 256;

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

/// An AWS Private CA: `arn:<partition>:acm-pca:<region>:<account>:certificate-authority/<id>`.
pub fn validate_pca_authority_arn(value: &str) -> Result<(), String> {
    let resource = arn_resource(value, "acm-pca", true)?;
    let Some(id) = resource.strip_prefix("certificate-authority/") else {
        return Err(format!(
            "its resource {} is not \"certificate-authority/ID\"",
            quote(resource)
        ));
    };
    check_name(id, MAX_DNS_NAME, is_arn_name_char, false).map_err(|reason| {
        format!(
            "its certificate authority id {} is invalid: {reason}",
            quote(id)
        )
    })
}

/// Characters of IAM names and ARN resource ids (`[\w+=,.@-]`).
fn is_arn_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

/// A KMS key as KMS takes a `KeyId`: a key id, a key ARN, an alias name or an alias ARN.
pub fn validate_kms_key(value: &str) -> Result<(), String> {
    if value.starts_with("arn:") {
        let resource = arn_resource(value, "kms", true)?;
        if let Some(id) = resource.strip_prefix("key/") {
            return check_kms_key_id(id)
                .map_err(|reason| format!("its key id {} is invalid: {reason}", quote(id)));
        }
        if resource.starts_with("alias/") {
            return check_kms_alias(resource);
        }
        return Err(format!(
            "its resource {} is not \"key/ID\" or \"alias/NAME\"",
            quote(resource)
        ));
    }
    if value.starts_with("alias/") {
        return check_kms_alias(value);
    }
    check_kms_key_id(value).map_err(|_| {
        "it is none of a key id, a key ARN, an alias name (\"alias/NAME\") or an alias ARN"
            .to_string()
    })
}

/// A key id: a UUID, or `mrk-` and 32 hexadecimal digits (a multi-Region key).
fn check_kms_key_id(id: &str) -> Result<(), String> {
    let hex =
        |s: &str, length: usize| s.len() == length && s.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(digits) = id.strip_prefix("mrk-") {
        return if hex(digits, 32) {
            Ok(())
        } else {
            Err("a multi-Region key id is \"mrk-\" and 32 hexadecimal digits".to_string())
        };
    }
    let groups: Vec<&str> = id.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    if groups.len() == lengths.len() && groups.iter().zip(lengths).all(|(g, n)| hex(g, n)) {
        Ok(())
    } else {
        Err("a key id is a UUID, such as \"1234abcd-12ab-34cd-56ef-1234567890ab\"".to_string())
    }
}

/// `alias/<name>`: letters, digits, `/`, `_` and `-`, at most 256 characters in all.
fn check_kms_alias(alias: &str) -> Result<(), String> {
    let name = alias.strip_prefix("alias/").unwrap_or(alias);
    check_name(
        name,
        MAX_KMS_ALIAS - "alias/".len(),
        |c| c.is_ascii_alphanumeric() || "/_-".contains(c),
        false,
    )
    .map_err(|reason| format!("its alias name {} is invalid: {reason}", quote(name)))
}

/// An IAM role: `arn:<partition>:iam::<account>:role/<path/><name>`.
pub fn validate_role_arn(value: &str) -> Result<(), String> {
    let resource = arn_resource(value, "iam", false)?;
    let Some(path_and_name) = resource.strip_prefix("role/") else {
        return Err(format!(
            "its resource {} is not \"role/NAME\" (an IAM role)",
            quote(resource)
        ));
    };
    let (path, name) = path_and_name
        .rsplit_once('/')
        .unwrap_or(("", path_and_name));
    if path_and_name.starts_with('/') || path_and_name.contains("//") {
        return Err("its path has an empty segment (two slashes in a row)".to_string());
    }
    if let Some(c) = path.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(format!("its path contains {c:?}, which is not allowed"));
    }
    check_name(name, MAX_ROLE_NAME, is_arn_name_char, false)
        .map_err(|reason| format!("its role name {} is invalid: {reason}", quote(name)))
}

/// One of `allowed`, as written (the message lists them).
fn one_of(value: &str, allowed: &[&str]) -> Result<(), String> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err("ECS does not take it".to_string())
    }
}

/// botocore's `LogDriver` values, as written.
pub fn validate_log_driver(value: &str) -> Result<(), String> {
    one_of(value, &LOG_DRIVERS)
}

/// `TEXT` or `JSON`.
pub fn validate_access_log_format(value: &str) -> Result<(), String> {
    one_of(value, &ACCESS_LOG_FORMATS)
}

/// The allowed value a mistyped one most likely means: the same but for case, hyphens
/// and underscores; one containing the other; or two edits away. `None` when there is
/// no single best.
pub fn closest<'a>(value: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let plain = |s: &str| -> String {
        s.chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let written = plain(value);
    if written.is_empty() {
        return None;
    }
    let unique = |found: Vec<&'a str>| match found.as_slice() {
        [one] => Some(*one),
        _ => None,
    };
    let same: Vec<&str> = allowed
        .iter()
        .copied()
        .filter(|a| plain(a) == written)
        .collect();
    if let Some(found) = unique(same) {
        return Some(found);
    }
    if written.chars().count() >= 4 {
        let containing: Vec<&str> = allowed
            .iter()
            .copied()
            .filter(|a| plain(a).contains(&written) || written.contains(&plain(a)))
            .collect();
        if let Some(found) = unique(containing) {
            return Some(found);
        }
    }
    let near: Vec<&str> = allowed
        .iter()
        .copied()
        .filter(|a| edit_distance(&plain(a), &written) <= 2)
        .collect();
    unique(near)
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// ` Did you mean "x"?` when `value` is probably a mistyped `x`.
fn did_you_mean(value: &str, allowed: &[&str]) -> String {
    closest(value, allowed)
        .map(|found| format!(" Did you mean {found:?}?"))
        .unwrap_or_default()
}

/// The log driver meant by `value`: a mistyped one, or `awslogs` for CloudWatch.
fn log_driver_hint(value: &str) -> String {
    if closest(value, &LOG_DRIVERS).is_none() && value.to_ascii_lowercase().contains("cloudwatch") {
        " For CloudWatch Logs, use \"awslogs\".".to_string()
    } else {
        did_you_mean(value, &LOG_DRIVERS)
    }
}

// ---------------------------------------------------------------------------------------
// Where they are written
// ---------------------------------------------------------------------------------------

/// Where a `tls`, `log_configuration` or `access_log_configuration` is written.
#[derive(Clone, Copy, Debug)]
pub(super) enum Owner<'a> {
    /// On the resource: the default for every service or endpoint that sets none.
    Mesh,
    /// On a `services` entry (logs).
    Service(&'a str),
    /// On an endpoint, in either form (TLS).
    Endpoint(EndpointAt<'a>),
}

impl Owner<'_> {
    /// `attribute` (such as "tls") and the rest of the location (".kms_key").
    fn field(self, attribute: &'static str, inner: &str) -> Field {
        let (service, endpoint) = match self {
            Owner::Mesh => (None, None),
            Owner::Service(service) => (Some(service), None),
            Owner::Endpoint(at) => (Some(at.service), at.key),
        };
        Field::Setting {
            service: service.map(str::to_string),
            endpoint: endpoint.map(str::to_string),
            attribute,
            inner: inner.to_string(),
        }
    }

    /// The same location as messages write it, keys quoted (and cut when long).
    fn label(self, attribute: &str, inner: &str) -> String {
        let owner = match self {
            Owner::Mesh => String::new(),
            Owner::Service(service) => format!("{}.", service_entry(service)),
            Owner::Endpoint(at) => format!("{}.", at.label()),
        };
        format!("{owner}{attribute}{inner}")
    }

    /// A violation at `attribute` + `inner`; `detail` gets the location's label.
    fn violation(
        self,
        rule: Rule,
        attribute: &'static str,
        inner: &str,
        detail: impl FnOnce(String) -> String,
    ) -> Violation {
        let label = self.label(attribute, inner);
        Violation::new(rule, self.field(attribute, inner), detail(label))
    }
}

/// The resource's own `tls`, `log_configuration` and `access_log_configuration`.
pub(super) fn check_mesh_settings(config: &ConfigView, out: &mut Vec<Violation>) {
    if let Attr::Known(tls) = &config.tls {
        check_tls(Owner::Mesh, tls, out);
    }
    check_logs(
        Owner::Mesh,
        &config.log_configuration,
        &config.access_log_configuration,
        out,
    );
}

/// A `services` entry's `log_configuration` and `access_log_configuration` (its TLS is
/// its endpoints').
pub(super) fn check_service_settings(key: &str, service: &ServiceView, out: &mut Vec<Violation>) {
    check_logs(
        Owner::Service(key),
        &service.log_configuration,
        &service.access_log_configuration,
        out,
    );
}

fn check_logs(
    owner: Owner<'_>,
    log: &Attr<LogView>,
    access_log: &Attr<AccessLogView>,
    out: &mut Vec<Violation>,
) {
    if let Attr::Known(log) = log {
        check_log(owner, log, out);
    }
    if let Attr::Known(access_log) = access_log {
        check_access_log(owner, access_log, out);
    }
}

/// A string member that must be set: refused when null, else checked by `check` when
/// known.
fn check_member(
    owner: Owner<'_>,
    (attribute, inner): (&'static str, &str),
    value: &Attr<String>,
    null: impl FnOnce(String) -> String,
    check: impl FnOnce(String, &str) -> Option<(Rule, String)>,
    out: &mut Vec<Violation>,
) {
    match value {
        Attr::Null => out.push(owner.violation(Rule::RequiredNull, attribute, inner, null)),
        Attr::Known(value) => {
            let label = owner.label(attribute, inner);
            if let Some((rule, detail)) = check(label, value) {
                out.push(Violation::new(rule, owner.field(attribute, inner), detail));
            }
        }
        Attr::Unknown => {}
    }
}

pub(super) fn check_tls(owner: Owner<'_>, tls: &TlsView, out: &mut Vec<Violation>) {
    let alone = match (tls.kms_key.is_null(), tls.role_arn.is_null()) {
        (false, false) => "kms_key and role_arn do",
        (false, true) => "a kms_key does",
        (true, false) => "a role_arn does",
        (true, true) => "an empty tls does",
    };
    check_member(
        owner,
        ("tls", ".aws_pca_authority_arn"),
        &tls.aws_pca_authority_arn,
        |label| {
            format!(
                "{label} is null, but TLS needs the AWS Private CA that issues the endpoints' \
                 certificates: {alone} not turn TLS on. Set it to the CA's ARN, such as \
                 {EXAMPLE_CA:?}, or remove tls."
            )
        },
        |label, arn| {
            let reason = validate_pca_authority_arn(arn).err()?;
            Some((
                Rule::PcaAuthorityArnInvalid,
                format!(
                    "{label} is {}: {reason}. Use the ARN of an AWS Private CA, \
                     \"arn:PARTITION:acm-pca:REGION:ACCOUNT:certificate-authority/ID\", such \
                     as {EXAMPLE_CA:?}.",
                    quote(arn)
                ),
            ))
        },
        out,
    );
    if let Attr::Known(key) = &tls.kms_key
        && let Err(reason) = validate_kms_key(key)
    {
        out.push(
            owner.violation(Rule::KmsKeyInvalid, "tls", ".kms_key", |label| {
                format!(
                    "{label} is {}: {reason}. Use the key's id (a UUID such as \
                 \"1234abcd-12ab-34cd-56ef-1234567890ab\", or \"mrk-\" and 32 hexadecimal \
                 digits for a multi-Region key), its ARN, an alias name such as \
                 \"alias/service-connect\" or an alias ARN, or leave kms_key out for an AWS \
                 owned key.",
                    quote(key)
                )
            }),
        );
    }
    if let Attr::Known(role) = &tls.role_arn
        && let Err(reason) = validate_role_arn(role)
    {
        out.push(
            owner.violation(Rule::RoleArnInvalid, "tls", ".role_arn", |label| {
                format!(
                    "{label} is {}: {reason}. Use the ARN of an IAM role, such as \
                 \"arn:aws:iam::123456789012:role/ecs-service-connect-tls\", or leave role_arn \
                 out for the ECS infrastructure role.",
                    quote(role)
                )
            }),
        );
    }
}

fn check_log(owner: Owner<'_>, log: &LogView, out: &mut Vec<Violation>) {
    check_member(
        owner,
        ("log_configuration", ".log_driver"),
        &log.log_driver,
        |label| {
            format!(
                "{label} is null. Set it to the log driver of the Service Connect proxy, such \
                 as \"awslogs\" for CloudWatch Logs, or remove log_configuration."
            )
        },
        |label, driver| {
            let reason = validate_log_driver(driver).err()?;
            Some((
                Rule::LogDriverInvalid,
                format!(
                    "{label} is {}: {reason}.{} Use json-file, syslog, journald, gelf, \
                     fluentd, awslogs, splunk or awsfirelens (on Fargate: awslogs, splunk or \
                     awsfirelens), written as listed.",
                    quote(driver),
                    log_driver_hint(driver)
                ),
            ))
        },
        out,
    );
    if let Attr::Known(options) = &log.options {
        for name in options
            .iter()
            .filter(|(_, value)| value.is_null())
            .map(|(name, _)| name)
        {
            let inner = format!(".options[{}]", quote(name));
            out.push(
                owner.violation(Rule::RequiredNull, "log_configuration", &inner, |label| {
                    format!("{label} is null. Give the option a value, or remove it.")
                }),
            );
        }
    }
    if let Attr::Known(secrets) = &log.secret_options {
        for (index, secret) in secrets.iter().enumerate() {
            check_secret(owner, index, secret, out);
        }
    }
}

fn check_secret(
    owner: Owner<'_>,
    index: usize,
    secret: &Attr<SecretView>,
    out: &mut Vec<Violation>,
) {
    let element = format!(".secret_options[{index}]");
    let secret = match secret {
        Attr::Known(secret) => secret,
        Attr::Unknown => return,
        Attr::Null => {
            out.push(
                owner.violation(Rule::RequiredNull, "log_configuration", &element, |label| {
                    format!("{label} is null. Give it a name and a value_from, or remove it.")
                }),
            );
            return;
        }
    };
    let members = [
        (
            ".name",
            &secret.name,
            "the name of the log driver option it sets, such as \"splunk-token\"",
        ),
        (
            ".value_from",
            &secret.value_from,
            "the ARN of the Secrets Manager secret or SSM parameter that holds the value (or \
             the parameter's name, in the same Region)",
        ),
    ];
    for (member, value, what) in members {
        let inner = format!("{element}{member}");
        check_member(
            owner,
            ("log_configuration", &inner),
            value,
            |label| format!("{label} is null. Set it to {what}, or remove the secret option."),
            |label, value| {
                value.is_empty().then(|| {
                    (
                        Rule::SecretOptionEmpty,
                        format!("{label} is empty. Set it to {what}, or remove the secret option."),
                    )
                })
            },
            out,
        );
    }
}

fn check_access_log(owner: Owner<'_>, access_log: &AccessLogView, out: &mut Vec<Violation>) {
    check_member(
        owner,
        ("access_log_configuration", ".format"),
        &access_log.format,
        |label| {
            format!(
                "{label} is null. Set it to \"TEXT\" or \"JSON\", or remove \
                 access_log_configuration."
            )
        },
        |label, format| {
            let reason = validate_access_log_format(format).err()?;
            Some((
                Rule::AccessLogFormatInvalid,
                format!(
                    "{label} is {}: {reason}.{} Use \"TEXT\" for readable lines or \"JSON\" for \
                     structured records, in capitals.",
                    quote(format),
                    did_you_mean(format, &ACCESS_LOG_FORMATS)
                ),
            ))
        },
        out,
    );
}
