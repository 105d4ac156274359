//! Rules on one value at a time: names, ids, ports, durations, tags.

use std::time::Duration;

use super::*;

// ---------------------------------------------------------------------------------------
// Field-level validators. Each returns the reason as a clause ("it is empty") meant to
// follow the quoted value.
// ---------------------------------------------------------------------------------------

/// A value quoted for a message; long ones are cut so a diagnostic stays readable.
pub(crate) fn quote(value: &str) -> String {
    const SHOWN: usize = 60;
    if value.chars().count() <= SHOWN + 20 {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(SHOWN).collect();
        format!("{head:?}…")
    }
}

pub(super) fn too_long(length: usize, limit: usize) -> String {
    format!("it is {length} characters long, over the limit of {limit}")
}

pub(super) fn not_allowed(c: char) -> String {
    format!("it contains {c:?}, which is not allowed")
}

/// Length and characters of a single-label name, in the order a reader fixes them.
pub(super) fn check_name(
    value: &str,
    limit: usize,
    allowed: fn(char) -> bool,
    no_leading_hyphen: bool,
) -> Result<(), String> {
    if value.is_empty() {
        return Err("it is empty".to_string());
    }
    let length = value.chars().count();
    if length > limit {
        return Err(too_long(length, limit));
    }
    if let Some(c) = value.chars().find(|&c| !allowed(c)) {
        return Err(not_allowed(c));
    }
    if no_leading_hyphen && value.starts_with('-') {
        return Err("it starts with a hyphen".to_string());
    }
    Ok(())
}

pub(super) fn is_lower_label_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'
}

pub(super) fn is_ecs_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// ECS `discoveryName`: ≤ 64 of `[a-z0-9_-]`, not starting with `-`.
pub fn validate_discovery_name(value: &str) -> Result<(), String> {
    check_name(value, MAX_DISCOVERY_NAME, is_lower_label_char, true)
}

/// ECS `portMappings[].name`: the same rule as a discovery name.
pub fn validate_port_name(value: &str) -> Result<(), String> {
    check_name(value, MAX_DISCOVERY_NAME, is_lower_label_char, true)
}

/// ECS cluster and service names: 1–255 letters, digits, hyphens, underscores.
pub fn validate_ecs_name(value: &str) -> Result<(), String> {
    check_name(value, MAX_ECS_NAME, is_ecs_name_char, false)
}

/// Dot-separated labels: none empty, none over 63 characters.
pub(super) fn check_labels(value: &str) -> Result<(), String> {
    if value.starts_with('.') {
        return Err("it starts with a dot".to_string());
    }
    if value.ends_with('.') {
        return Err("it ends with a dot; leave the trailing dot out".to_string());
    }
    if value.contains("..") {
        return Err("it has an empty label (two dots in a row)".to_string());
    }
    if let Some(label) = value.split('.').find(|l| l.chars().count() > MAX_DNS_LABEL) {
        return Err(format!(
            "its label {} is {} characters long, over the DNS limit of {MAX_DNS_LABEL}",
            quote(label),
            label.chars().count()
        ));
    }
    Ok(())
}

/// ECS client alias `dnsName`: ≤ 127 of `[a-z0-9_.-]`, not starting with `-`, and a valid
/// DNS name (no empty label, labels ≤ 63).
pub fn validate_dns_name(value: &str) -> Result<(), String> {
    check_name(
        value,
        MAX_DNS_NAME,
        |c| is_lower_label_char(c) || c == '.',
        true,
    )?;
    check_labels(value)
}

/// A private DNS namespace this resource creates: Cloud Map allows `^[!-~]{1,253}$`, Route
/// 53 makes it a hosted zone, and endpoint names are derived from it, so: ≤ 253
/// characters, lowercase labels of `[a-z0-9_-]`, 1–63 long, no hyphen at either end.
pub fn validate_namespace_name(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("it is empty".to_string());
    }
    let length = value.chars().count();
    if length > MAX_NAMESPACE_NAME {
        return Err(too_long(length, MAX_NAMESPACE_NAME));
    }
    if let Some(c) = value.chars().find(char::is_ascii_uppercase) {
        return Err(format!(
            "it contains the uppercase letter {c:?}; DNS names are case-insensitive and \
             ECS takes endpoint names in lowercase"
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|&c| !(is_lower_label_char(c) || c == '.'))
    {
        return Err(not_allowed(c));
    }
    check_labels(value)?;
    if let Some(label) = value
        .split('.')
        .find(|l| l.starts_with('-') || l.ends_with('-'))
    {
        return Err(format!("its label {label:?} starts or ends with a hyphen"));
    }
    Ok(())
}

/// `vpc-` followed by 8 (older) or 17 lowercase hexadecimal digits.
pub fn validate_vpc_id(value: &str) -> Result<(), String> {
    let Some(hex) = value.strip_prefix("vpc-") else {
        return Err("it does not start with \"vpc-\"".to_string());
    };
    // Characters, not bytes: "vpc-abcdefgé" has 8 characters after "vpc-", and is
    // refused for the 'é', not for a length it does not have.
    let length = hex.chars().count();
    if !(length == 8 || length == 17) {
        return Err(format!(
            "it has {length} characters after \"vpc-\" instead of 8 or 17"
        ));
    }
    if let Some(c) = hex
        .chars()
        .find(|c| !(c.is_ascii_digit() || ('a'..='f').contains(c)))
    {
        return Err(format!(
            "it contains {c:?}, which is not a lowercase hexadecimal digit"
        ));
    }
    Ok(())
}

/// A Cloud Map namespace id (see [`names::is_namespace_id`]).
pub fn validate_namespace_id(value: &str) -> Result<(), String> {
    if names::is_namespace_id(value) {
        return Ok(());
    }
    // A namespace's ARN, the only way to name one shared through AWS RAM (GetNamespace).
    if value.starts_with("arn:") {
        let parts: Vec<&str> = value.splitn(6, ':').collect();
        return match parts.as_slice() {
            [_, _, "servicediscovery", _, _, resource]
                if resource
                    .strip_prefix("namespace/")
                    .is_some_and(names::is_namespace_id) =>
            {
                Ok(())
            }
            _ => Err("it is an ARN, but not of a Cloud Map namespace \
                (arn:<partition>:servicediscovery:<region>:<account>:namespace/ns-…)"
                .to_string()),
        };
    }
    Err("it is not \"ns-\" followed by 16 lowercase letters or digits".to_string())
}

/// A cluster name, or an ECS cluster ARN `arn:<partition>:ecs:<region>:<account>:cluster/<name>`.
pub fn validate_cluster(value: &str) -> Result<(), String> {
    if !value.starts_with("arn:") {
        return validate_ecs_name(value);
    }
    let resource = arn_resource(value, "ecs", true)?;
    let Some(name) = resource.strip_prefix("cluster/") else {
        return Err(format!(
            "its resource {} is not \"cluster/NAME\"",
            quote(resource)
        ));
    };
    validate_ecs_name(name)
        .map_err(|reason| format!("its cluster name {} is invalid: {reason}", quote(name)))
}

/// The resource of an ARN `arn:<partition>:<service>:<region>:<account>:<resource>` of
/// `service`, once the other parts are checked: a partition such as "aws", a region
/// such as "eu-west-1" (none for a global service such as IAM: `regional` false), and
/// 12 digits of account.
pub(super) fn arn_resource<'a>(
    value: &'a str,
    service: &str,
    regional: bool,
) -> Result<&'a str, String> {
    if !value.starts_with("arn:") {
        return Err("it is not an ARN: it does not start with \"arn:\"".to_string());
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let [_, partition, named, region, account, resource] = parts.as_slice() else {
        return Err("it is an ARN with fewer than six ':'-separated parts".to_string());
    };
    let is_word = |s: &str, extra: fn(char) -> bool| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || extra(c))
    };
    if !is_word(partition, |c| c == '-') {
        return Err(format!(
            "its partition {} is not a partition such as \"aws\"",
            quote(partition)
        ));
    }
    if *named != service {
        return Err(format!(
            "it is an ARN of the {} service, not of {service:?}",
            quote(named)
        ));
    }
    if regional && !is_word(region, |c| c == '-' || c.is_ascii_digit()) {
        return Err(format!(
            "its region {} is not a region such as \"eu-west-1\"",
            quote(region)
        ));
    }
    if !regional && !region.is_empty() {
        return Err(format!(
            "it has the region {}, but {service} ARNs have none (\"arn:aws:{service}::…\")",
            quote(region)
        ));
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("its account {} is not 12 digits", quote(account)));
    }
    Ok(resource)
}

/// The client alias port: 1–65535 (0 is refused: nobody could call it).
pub fn validate_port(value: i64) -> Result<(), String> {
    if (1..=65535).contains(&value) {
        Ok(())
    } else if value == 0 {
        Err("port 0 gives clients no port to connect to".to_string())
    } else {
        Err("it is outside 1 to 65535".to_string())
    }
}

/// `ingressPortOverride`: 1025–65535.
pub fn validate_ingress_port_override(value: i64) -> Result<(), String> {
    if (MIN_INGRESS_PORT..=65535).contains(&value) {
        Ok(())
    } else if (0..MIN_INGRESS_PORT).contains(&value) {
        Err("ECS rejects ingress ports of 1024 and below".to_string())
    } else {
        Err("it is outside 1025 to 65535".to_string())
    }
}

/// Idle and per-request timeouts in seconds: 0 (disabled) to 2147483647.
pub fn validate_timeout_seconds(value: i64) -> Result<(), String> {
    if (0..=MAX_TIMEOUT_SECONDS).contains(&value) {
        Ok(())
    } else if value < 0 {
        Err("it is negative".to_string())
    } else {
        Err(format!("it is over the ECS limit of {MAX_TIMEOUT_SECONDS}"))
    }
}

/// Go's `time.ParseDuration` grammar: an optional sign, then one or more `<number><unit>`
/// (the number may have a fraction), or a bare `0`. Returns (negative, nanoseconds).
pub(super) fn parse_go_duration(text: &str) -> Result<(bool, u128), String> {
    // Go caps durations at i64 nanoseconds (about 292 years).
    const MAX_NANOS: u128 = i64::MAX as u128;
    const UNITS: [(&str, u128); 8] = [
        ("ns", 1),
        ("us", 1_000),
        ("\u{b5}s", 1_000),
        ("\u{3bc}s", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("h", 3_600_000_000_000),
    ];
    if text == "0" {
        return Ok((false, 0));
    }
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest.is_empty() {
        return Err("it is empty".to_string());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let whole_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (whole, after) = rest.split_at(whole_len);
        let (fraction, after) = match after.strip_prefix('.') {
            Some(after) => {
                let len = after.bytes().take_while(u8::is_ascii_digit).count();
                after.split_at(len)
            }
            None => ("", after),
        };
        if whole.is_empty() && fraction.is_empty() {
            return Err(match after.chars().next() {
                Some(c) => format!("{c:?} is not where a number should be"),
                None => "it ends where a number should be".to_string(),
            });
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(format!(
                "the number {} has no unit",
                quote(&rest[..rest.len() - after.len()])
            ));
        }
        let Some(&(_, scale)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            return Err(format!("{} is not a unit", quote(unit)));
        };
        let mut nanos: u128 = 0;
        for digit in whole.bytes() {
            nanos = nanos
                .saturating_mul(10)
                .saturating_add(u128::from(digit - b'0'));
        }
        nanos = nanos.saturating_mul(scale);
        // The fraction, truncated to whole nanoseconds; digits past the 20th cannot
        // move a result that must stay under 2^63 ns.
        let mut numerator: u128 = 0;
        let mut denominator: u128 = 1;
        for digit in fraction.bytes().take(20) {
            numerator = numerator * 10 + u128::from(digit - b'0');
            denominator *= 10;
        }
        nanos = nanos.saturating_add(numerator.saturating_mul(scale) / denominator);
        total = total.saturating_add(nanos);
        if total > MAX_NANOS {
            return Err("it is longer than Go durations allow (about 292 years)".to_string());
        }
        rest = next;
    }
    Ok((negative, total))
}

/// A Terraform timeout ("20m", "1h30m", "90s", "1.5h") as a positive [`Duration`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    match parse_go_duration(text)? {
        (_, 0) => Err("it is zero".to_string()),
        (true, _) => Err("it is negative".to_string()),
        (false, nanos) => Ok(duration_from_nanos(nanos)),
    }
}

/// A duration as Go writes it ("1h30m0s", "20m0s", "1.5s", "250ms", "1ns"), the form
/// `timeouts` values are written in, so that a message quotes what the user set.
pub fn format_go_duration(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    if nanos == 0 {
        return "0s".to_string();
    }
    let with_fraction = |whole: u128, fraction: u128, digits: usize, unit: &str| {
        let fraction = format!("{fraction:0digits$}");
        let fraction = fraction.trim_end_matches('0');
        if fraction.is_empty() {
            format!("{whole}{unit}")
        } else {
            format!("{whole}.{fraction}{unit}")
        }
    };
    if nanos < 1_000 {
        return format!("{nanos}ns");
    }
    if nanos < 1_000_000 {
        return with_fraction(nanos / 1_000, nanos % 1_000, 3, "µs");
    }
    if nanos < 1_000_000_000 {
        return with_fraction(nanos / 1_000_000, nanos % 1_000_000, 6, "ms");
    }
    let seconds = nanos / 1_000_000_000;
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let mut out = String::new();
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if hours > 0 || minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    out.push_str(&with_fraction(seconds, nanos % 1_000_000_000, 9, "s"));
    out
}

pub(super) fn duration_from_nanos(nanos: u128) -> Duration {
    // Below 2^63 ns by construction: the seconds fit in u64 and the remainder in u32.
    let seconds = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
    let subsec = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
    Duration::new(seconds, subsec)
}

/// Tag key: 1–128 characters.
pub fn validate_tag_key(key: &str) -> Result<(), String> {
    let length = key.chars().count();
    if length == 0 {
        Err("it is empty".to_string())
    } else if length > MAX_TAG_KEY {
        Err(too_long(length, MAX_TAG_KEY))
    } else {
        Ok(())
    }
}

/// Whether a tag key uses the prefix AWS keeps for itself.
pub fn is_reserved_tag_key(key: &str) -> bool {
    key.get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:"))
}
