//! Diagnostics: what went wrong, in words a practitioner can act on, and where.
//!
//! Terraform places a diagnostic on a configuration line by walking its attribute path
//! through nested *blocks*; inside nested attributes it stops at the enclosing attribute
//! or map entry, so point at the closest thing it can show (`services["backend"]`).

use super::proto::tfplugin6 as pb;
use super::value::AttributePath;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub attribute: Option<AttributePath>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(summary, detail)
        }
    }

    /// Points the diagnostic at an attribute.
    pub fn at(mut self, path: AttributePath) -> Self {
        self.attribute = Some(path);
        self
    }
}

/// An ordered collection of diagnostics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// One error, the most common answer.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self(vec![Diagnostic::error(summary, detail)])
    }

    /// One error at an attribute.
    pub fn error_at(
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self(vec![Diagnostic::error(summary, detail).at(path)])
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Self(vec![diagnostic])
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl From<&Diagnostic> for pb::Diagnostic {
    fn from(diagnostic: &Diagnostic) -> Self {
        pb::Diagnostic {
            severity: match diagnostic.severity {
                Severity::Error => pb::diagnostic::Severity::Error,
                Severity::Warning => pb::diagnostic::Severity::Warning,
            } as i32,
            summary: diagnostic.summary.clone(),
            detail: diagnostic.detail.clone(),
            attribute: diagnostic.attribute.as_ref().map(path_to_proto),
        }
    }
}

impl From<&Diagnostics> for Vec<pb::Diagnostic> {
    fn from(diagnostics: &Diagnostics) -> Self {
        diagnostics.iter().map(pb::Diagnostic::from).collect()
    }
}

/// tfplugin6's path: a list of steps, each an attribute name or an element key.
pub fn path_to_proto(path: &AttributePath) -> pb::AttributePath {
    use super::value::PathStep;
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .steps()
            .iter()
            .map(|step| pb::attribute_path::Step {
                selector: Some(match step {
                    PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                    PathStep::ElementKeyString(key) => Selector::ElementKeyString(key.clone()),
                    PathStep::ElementKeyInt(index) => Selector::ElementKeyInt(*index),
                }),
            })
            .collect(),
    }
}
