//! Eager checks of the shared config/credentials files.
//!
//! aws-config forgives a shared file it cannot read (it logs a warning and treats it as
//! empty) and reports an unknown profile only when credentials are first needed, deep
//! inside a resource operation. We read and parse the same files with aws-config's own
//! parser at configure time so those mistakes surface as one clear provider error.
//! Nothing here resolves credentials: the file contents never leave this module.

use std::path::{Path, PathBuf};

#[allow(deprecated)] // aws-runtime, the new home of these types, is not our dependency.
use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
use aws_config::profile::{ProfileFileLoadError, ProfileSet};
use aws_types::os_shim_internal::{Env, Fs};

use super::error::{ConfigError, SettingOrigin};

/// The shared files as aws-config would see them, parsed.
pub(super) struct SharedFiles {
    pub(super) profiles: ProfileSet,
    /// Human-readable list of the files that exist, for error messages.
    pub(super) described: String,
}

struct FileSpec {
    kind: &'static str,
    env_var: &'static str,
    default: &'static str,
}

const FILES: [FileSpec; 2] = [
    FileSpec {
        kind: "config",
        env_var: "AWS_CONFIG_FILE",
        default: "~/.aws/config",
    },
    FileSpec {
        kind: "credentials",
        env_var: "AWS_SHARED_CREDENTIALS_FILE",
        default: "~/.aws/credentials",
    },
];

impl SharedFiles {
    /// A setting of `profile` (e.g. `max_attempts`), if the profile sets it.
    pub(super) fn value(&self, profile: &str, key: &str) -> Option<String> {
        self.profiles
            .get_profile(profile)
            .and_then(|p| p.get(key))
            .map(str::to_string)
    }
}

/// Reads and parses the shared files at the same paths aws-config uses.
pub(super) async fn load(env: &Env, fs: &Fs) -> Result<SharedFiles, ConfigError> {
    #[allow(deprecated)]
    let mut files = ProfileFiles::builder();
    let mut seen = Vec::new();
    for spec in &FILES {
        let (raw, env_var) = match env.get(spec.env_var) {
            Ok(path) if !path.is_empty() => (path, Some(spec.env_var)),
            _ => (spec.default.to_string(), None),
        };
        let Some(path) = expand_home(&raw, env) else {
            // No home directory: aws-config cannot find the default file either.
            continue;
        };
        let contents = match fs.read_to_end(&path).await {
            Ok(bytes) => String::from_utf8(bytes).map_err(|_| ConfigError::SharedConfigFile {
                kind: spec.kind,
                path: path.clone(),
                env_var,
                cause: "the file is not UTF-8 text".to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if env_var.is_some() {
                    tracing::warn!(path = %path.display(), env = spec.env_var, "shared AWS file named by the environment does not exist");
                }
                continue;
            }
            Err(e) => {
                return Err(ConfigError::SharedConfigFile {
                    kind: spec.kind,
                    path,
                    env_var,
                    cause: format!("it cannot be read ({e})"),
                });
            }
        };
        #[allow(deprecated)]
        let kind = match spec.kind {
            "config" => ProfileFileKind::Config,
            _ => ProfileFileKind::Credentials,
        };
        // Parsed alone first, so a syntax error names its own file.
        #[allow(deprecated)]
        let alone = ProfileFiles::builder()
            .with_contents(kind, contents.clone())
            .build();
        if let Err(e) = aws_config::profile::load(fs, env, &alone, None).await {
            return Err(ConfigError::SharedConfigFile {
                kind: spec.kind,
                path,
                env_var,
                cause: format!("it cannot be parsed ({})", parse_cause(&e)),
            });
        }
        seen.push(path.display().to_string());
        files = files.with_contents(kind, contents);
    }
    let described = if seen.is_empty() {
        format!(
            "none found at {} or {}",
            describe(&FILES[0], env),
            describe(&FILES[1], env)
        )
    } else {
        seen.join(", ")
    };
    // An empty contents entry keeps the builder non-empty when no file exists.
    #[allow(deprecated)]
    let files = files.with_contents(ProfileFileKind::Config, "").build();
    // The contents are already in memory: this parse touches neither disk nor env.
    let profiles = aws_config::profile::load(fs, env, &files, None)
        .await
        .map_err(|e| parse_error(e, &seen))?;
    Ok(SharedFiles {
        profiles,
        described,
    })
}

/// Fails when a profile chosen explicitly (attribute or AWS_PROFILE) does not exist;
/// the implicit "default" profile may be absent, other sources then apply.
pub(super) fn check_profile(
    files: &SharedFiles,
    profile: &str,
    origin: Option<SettingOrigin>,
) -> Result<(), ConfigError> {
    let Some(origin) = origin else {
        return Ok(());
    };
    if files.profiles.get_profile(profile).is_some() {
        return Ok(());
    }
    let mut available: Vec<String> = files.profiles.profiles().map(str::to_string).collect();
    available.sort();
    Err(ConfigError::UnknownProfile {
        profile: profile.to_string(),
        origin,
        files: files.described.clone(),
        available,
    })
}

fn parse_error(e: ProfileFileLoadError, seen: &[String]) -> ConfigError {
    let cause = parse_cause(&e);
    // Parse errors name the file as "<contents>"; point at the real files instead.
    ConfigError::SharedConfigFile {
        kind: "config or credentials",
        path: PathBuf::from(seen.join(" or ")),
        env_var: None,
        cause: format!("it cannot be parsed ({cause})"),
    }
}

/// "line 3: Expected an '=' sign defining a property"; the parser's own text names
/// the in-memory copy instead of the file, and spans lines.
fn parse_cause(e: &ProfileFileLoadError) -> String {
    let text = match std::error::Error::source(e) {
        Some(source) => source.to_string(),
        None => e.to_string(),
    };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.split_once(" on line ") {
        Some((_, rest)) => format!("line {rest}"),
        None => text,
    }
}

fn describe(spec: &FileSpec, env: &Env) -> String {
    env.get(spec.env_var)
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| spec.default.to_string())
}

/// `~` and `~/...` become the home directory, as aws-config does; `None` when there
/// is no home to expand to.
fn expand_home(raw: &str, env: &Env) -> Option<PathBuf> {
    let rest = match raw.strip_prefix('~') {
        None => return Some(PathBuf::from(raw)),
        Some("") => "",
        Some(rest) if rest.starts_with('/') || rest.starts_with('\\') => &rest[1..],
        // "~user/..." is not expanded by aws-config either.
        Some(_) => return Some(PathBuf::from(raw)),
    };
    let home = env
        .get("HOME")
        .or_else(|_| env.get("USERPROFILE"))
        .ok()
        .filter(|h| !h.is_empty())?;
    Some(Path::new(&home).join(rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn fs(files: &[(&str, &[u8])]) -> Fs {
        let map: HashMap<String, Vec<u8>> = files
            .iter()
            .map(|(p, c)| (p.to_string(), c.to_vec()))
            .collect();
        Fs::from_map(map)
    }

    #[tokio::test]
    async fn reads_default_files_under_home() {
        let env = Env::from_slice(&[("HOME", "/home/t")]);
        let fs = fs(&[
            (
                "/home/t/.aws/config",
                b"[profile dev]\nregion = eu-west-1\n",
            ),
            (
                "/home/t/.aws/credentials",
                b"[ci]\naws_access_key_id = AKIDEXAMPLE\n",
            ),
        ]);
        let files = load(&env, &fs).await.expect("files load");
        assert!(files.profiles.get_profile("dev").is_some());
        assert!(files.profiles.get_profile("ci").is_some());
        assert!(check_profile(&files, "dev", Some(SettingOrigin::Attribute)).is_ok());
    }

    #[tokio::test]
    async fn env_override_paths_win() {
        let env = Env::from_slice(&[("HOME", "/home/t"), ("AWS_CONFIG_FILE", "/etc/aws.conf")]);
        let fs = fs(&[
            ("/home/t/.aws/config", b"[profile home]\n"),
            ("/etc/aws.conf", b"[profile etc]\n"),
        ]);
        let files = load(&env, &fs).await.expect("files load");
        assert!(files.profiles.get_profile("etc").is_some());
        assert!(files.profiles.get_profile("home").is_none());
    }

    #[tokio::test]
    async fn unknown_profile_lists_the_available_ones() {
        let env = Env::from_slice(&[("HOME", "/h")]);
        let fs = fs(&[("/h/.aws/config", b"[profile b]\n[profile a]\n")]);
        let files = load(&env, &fs).await.expect("files load");
        let err = check_profile(
            &files,
            "nope",
            Some(SettingOrigin::Environment("AWS_PROFILE")),
        )
        .expect_err("unknown profile");
        let text = err.to_string();
        assert!(text.contains("\"nope\""), "{text}");
        assert!(text.contains("available profiles: a, b"), "{text}");
        assert!(text.contains("AWS_PROFILE"), "{text}");
        assert_eq!(err.attribute(), None);
        // The implicit default profile may be missing.
        assert!(check_profile(&files, "default", None).is_ok());
    }

    #[tokio::test]
    async fn unparsable_file_is_an_error() {
        let env = Env::from_slice(&[("HOME", "/h")]);
        let fs = fs(&[("/h/.aws/config", b"[profile broken\nregion = x\n")]);
        let err = load(&env, &fs).await.err().expect("parse error");
        assert!(matches!(err, ConfigError::SharedConfigFile { .. }), "{err}");
        assert!(err.to_string().contains("cannot be parsed"), "{err}");
    }

    #[tokio::test]
    async fn non_utf8_file_is_an_error() {
        let env = Env::from_slice(&[("HOME", "/h"), ("AWS_SHARED_CREDENTIALS_FILE", "/c")]);
        let fs = fs(&[("/c", &[0xff, 0xfe, 0x00])]);
        let err = load(&env, &fs).await.err().expect("utf-8 error");
        let text = err.to_string();
        assert!(text.contains("/c"), "{text}");
        assert!(text.contains("AWS_SHARED_CREDENTIALS_FILE"), "{text}");
        assert!(text.contains("not UTF-8"), "{text}");
    }

    #[test]
    fn home_expansion() {
        let env = Env::from_slice(&[("HOME", "/home/x")]);
        assert_eq!(
            expand_home("~/.aws/config", &env),
            Some(PathBuf::from("/home/x/.aws/config"))
        );
        assert_eq!(expand_home("/abs", &env), Some(PathBuf::from("/abs")));
        assert_eq!(expand_home("~/.aws/config", &Env::from_slice(&[])), None);
    }
}
