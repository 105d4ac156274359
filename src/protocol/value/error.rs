//! The one error type of the values layer: a message plus the attribute path it concerns,
//! so that callers can turn it into a diagnostic pointing at the right attribute.

use std::fmt;

use super::path::{AttributePath, PathRef};

/// Something in a value, its bytes or its type did not fit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueError {
    path: AttributePath,
    message: String,
    /// Set once a path has been attached, so that outer levels of a walk leave the
    /// innermost (most precise) path alone. Serde errors start without one.
    located: bool,
}

impl ValueError {
    /// An error at the given path.
    pub fn new(path: AttributePath, message: impl Into<String>) -> Self {
        Self {
            path,
            message: message.into(),
            located: true,
        }
    }

    /// An error whose path is not known yet (it is attached on the way out of a walk).
    pub(crate) fn unlocated(message: impl Into<String>) -> Self {
        Self {
            path: AttributePath::root(),
            message: message.into(),
            located: false,
        }
    }

    pub(crate) fn at(path: PathRef<'_>, message: impl Into<String>) -> Self {
        Self::new(path.to_path(), message)
    }

    /// A tuple value with the wrong number of elements.
    pub(crate) fn tuple_length(path: PathRef<'_>, required: usize, found: usize) -> Self {
        Self::at(
            path,
            format!("a tuple of {required} elements is required, found {found}"),
        )
    }

    /// Attaches `path` unless a more precise one is already there.
    pub(crate) fn located_at(mut self, path: PathRef<'_>) -> Self {
        if !self.located {
            self.path = path.to_path();
            self.located = true;
        }
        self
    }

    /// The attribute the error concerns; empty when it concerns the whole value.
    pub fn path(&self) -> &AttributePath {
        &self.path
    }

    /// What went wrong, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ValueError {}

impl serde::de::Error for ValueError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::unlocated(msg.to_string())
    }
}

impl serde::ser::Error for ValueError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::unlocated(msg.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_prefixes_the_path() {
        let err = ValueError::new(AttributePath::root().attribute("port"), "bad");
        assert_eq!(err.to_string(), "port: bad");
        assert_eq!(
            ValueError::new(AttributePath::root(), "bad").to_string(),
            "bad"
        );
    }

    #[test]
    fn innermost_path_wins() {
        let root = PathRef::Root;
        let inner = PathRef::Attribute(&root, "inner");
        let err = ValueError::unlocated("x")
            .located_at(inner)
            .located_at(root);
        assert_eq!(err.path(), &AttributePath::root().attribute("inner"));
    }
}
