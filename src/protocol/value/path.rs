//! Where in a value something went wrong: the path carried by [`ValueError`](super::ValueError)
//! and turned into a tfplugin6 `AttributePath` by the diagnostics layer.

use std::fmt;

/// One step into a value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// An object attribute (or a nested block) by name.
    Attribute(String),
    /// A map element by key.
    ElementKeyString(String),
    /// A list or tuple element by position. Set elements have no stable position;
    /// errors inside a set still use the position they were met at.
    ElementKeyInt(i64),
}

/// A path from the root of a value (usually a whole resource object) to one of its parts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AttributePath {
    steps: Vec<PathStep>,
}

impl AttributePath {
    /// The empty path: the value itself.
    pub fn root() -> Self {
        Self::default()
    }

    /// This path extended by an attribute step.
    pub fn attribute(mut self, name: impl Into<String>) -> Self {
        self.steps.push(PathStep::Attribute(name.into()));
        self
    }

    /// This path extended by a map-key step.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.steps.push(PathStep::ElementKeyString(key.into()));
        self
    }

    /// This path extended by a list-index step.
    pub fn index(mut self, index: i64) -> Self {
        self.steps.push(PathStep::ElementKeyInt(index));
        self
    }

    /// Appends a step in place.
    pub fn push(&mut self, step: PathStep) {
        self.steps.push(step);
    }

    /// Removes the last step, if any.
    pub fn pop(&mut self) -> Option<PathStep> {
        self.steps.pop()
    }

    /// The steps, outermost first.
    pub fn steps(&self) -> &[PathStep] {
        &self.steps
    }

    /// True for the root path.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl From<Vec<PathStep>> for AttributePath {
    fn from(steps: Vec<PathStep>) -> Self {
        Self { steps }
    }
}

impl FromIterator<PathStep> for AttributePath {
    fn from_iter<I: IntoIterator<Item = PathStep>>(iter: I) -> Self {
        Self {
            steps: iter.into_iter().collect(),
        }
    }
}

/// Terraform's own notation: `services["backend"].ports[0]`.
impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => f.write_str(name)?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::ElementKeyString(key) => write!(f, "[{key:?}]")?,
                PathStep::ElementKeyInt(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A path under construction while walking a value, as a chain of borrowed frames so
/// that descending costs no allocation; it becomes an [`AttributePath`] only on error.
#[derive(Clone, Copy, Debug)]
pub(crate) enum PathRef<'a> {
    Root,
    Attribute(&'a PathRef<'a>, &'a str),
    Key(&'a PathRef<'a>, &'a str),
    Index(&'a PathRef<'a>, usize),
}

impl PathRef<'_> {
    pub(crate) fn to_path(self) -> AttributePath {
        let mut steps = Vec::new();
        let mut at = self;
        loop {
            match at {
                PathRef::Root => break,
                PathRef::Attribute(parent, name) => {
                    steps.push(PathStep::Attribute(name.to_owned()));
                    at = *parent;
                }
                PathRef::Key(parent, key) => {
                    steps.push(PathStep::ElementKeyString(key.to_owned()));
                    at = *parent;
                }
                PathRef::Index(parent, index) => {
                    steps.push(PathStep::ElementKeyInt(
                        i64::try_from(index).unwrap_or(i64::MAX),
                    ));
                    at = *parent;
                }
            }
        }
        steps.reverse();
        AttributePath { steps }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_terraform() {
        let path = AttributePath::root()
            .attribute("services")
            .key("backend")
            .attribute("ports")
            .index(0);
        assert_eq!(path.to_string(), r#"services["backend"].ports[0]"#);
        assert_eq!(AttributePath::root().to_string(), "");
    }

    #[test]
    fn path_ref_builds_outermost_first() {
        let root = PathRef::Root;
        let a = PathRef::Attribute(&root, "services");
        let b = PathRef::Key(&a, "backend");
        let c = PathRef::Index(&b, 2);
        assert_eq!(
            c.to_path(),
            AttributePath::root()
                .attribute("services")
                .key("backend")
                .index(2)
        );
    }
}
