//! Many findings of one kind read as one message: a thousand missing services make
//! one diagnostic that lists them, not a thousand that each repeat the advice.

use std::collections::BTreeMap;

use crate::aws::error::GatewayError;
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};

/// Up to this many findings of one kind each get their own diagnostic, which can point
/// at their own entry.
pub(super) const SEPARATE: usize = 3;
/// How many names a grouped message lists before "and N more".
const LISTED: usize = 10;

/// "a, b, c" or "a, b, …, j and 990 more".
pub(super) fn name_list<S: AsRef<str>>(names: &[S]) -> String {
    let shown: Vec<&str> = names.iter().take(LISTED).map(AsRef::as_ref).collect();
    match names.len().saturating_sub(LISTED) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// `one` for each finding when there are few, else `many` once for all of them.
pub(super) fn one_each_or_grouped<T>(
    found: &[T],
    one: impl Fn(&T) -> Diagnostic,
    many: impl FnOnce(&[T]) -> Diagnostic,
) -> Diagnostics {
    if found.len() <= SEPARATE {
        found.iter().map(one).collect()
    } else {
        Diagnostics::from(many(found))
    }
}

/// One error per failed service, or one per kind of failure (same AWS code and
/// message) when many services failed alike.
pub(super) fn failure_diagnostics(
    summary: &str,
    failures: &[(String, GatewayError)],
) -> Diagnostics {
    // (AWS code, message) → the failures that share them.
    type Kind<'a> = (Option<&'a str>, &'a str);
    let mut kinds: BTreeMap<Kind, Vec<&(String, GatewayError)>> = BTreeMap::new();
    for failure in failures {
        let key = (failure.1.code(), failure.1.message.as_str());
        kinds.entry(key).or_default().push(failure);
    }
    let mut diagnostics = Diagnostics::default();
    for alike in kinds.values() {
        diagnostics.extend(one_each_or_grouped(
            alike,
            |(_, err)| Diagnostic::error(summary, err.to_string()),
            |all| {
                let others: Vec<&str> = all[1..].iter().map(|(name, _)| name.as_str()).collect();
                let first = &all[0].1;
                Diagnostic::error(
                    summary,
                    format!(
                        "{} and {} other ECS services ({}): {}",
                        first.action,
                        others.len(),
                        name_list(&others),
                        first.message
                    ),
                )
            },
        ));
    }
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(name: &str) -> (String, GatewayError) {
        (
            name.to_string(),
            GatewayError::with_code(
                format!("enabling Service Connect on ECS service prod/{name}"),
                "ServiceNotFoundException",
                "the service does not exist",
            ),
        )
    }

    #[test]
    fn long_lists_are_cut_with_a_count() {
        assert_eq!(name_list(&["a", "b"]), "a, b");
        let names: Vec<String> = (0..1000).map(|i| format!("s{i}")).collect();
        let text = name_list(&names);
        assert!(text.starts_with("s0, s1, "), "{text}");
        assert!(text.ends_with("s9 and 990 more"), "{text}");
    }

    #[test]
    fn a_few_failures_stay_apart_and_many_alike_become_one() {
        let few: Vec<_> = ["a", "b", "c"].into_iter().map(missing).collect();
        assert_eq!(failure_diagnostics("Wiring failed", &few).iter().count(), 3);

        let mut many: Vec<_> = (0..1000).map(|i| missing(&format!("s{i}"))).collect();
        many.push((
            "backend".into(),
            GatewayError::with_code(
                "enabling Service Connect on ECS service prod/backend",
                "AccessDeniedException",
                "not authorized",
            ),
        ));
        let diagnostics = failure_diagnostics("Wiring failed", &many);
        assert_eq!(
            diagnostics.iter().count(),
            2,
            "one per kind: {diagnostics:?}"
        );
        let texts: Vec<String> = diagnostics.iter().map(|d| d.detail.clone()).collect();
        assert!(
            texts.iter().any(|t| t.contains(
                "enabling Service Connect on ECS service prod/s0 and 999 other ECS services (s1, s2"
            ) && t.ends_with(": the service does not exist")),
            "{texts:?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t.contains("prod/backend: not authorized"))
        );
    }
}
