//! Compiles the plugin protocol's .proto files with a pure-Rust protobuf compiler
//! (protox), so a fresh machine builds with cargo alone: no system `protoc`. Links the
//! provider binary with packed relative relocations when asked to.

use std::error::Error;
use std::path::Path;
use std::process::{Command, Stdio};

const PROTOS: &[&str] = &["proto/tfplugin6.proto", "proto/plugin.proto"];

/// `SERVICEMESH_RELR=1` links with packed relocations (see [`relr_link_arg`]).
const RELR_SWITCH: &str = "SERVICEMESH_RELR";
const RELR_FLAG: &str = "-Wl,-z,pack-relative-relocs";

fn main() -> Result<(), Box<dyn Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    tonic_prost_build::configure()
        // The in-process tests drive the provider through a generated client.
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    relr_link_arg();
    Ok(())
}

/// The binary is a PIE with about 55 000 relative relocations; as RELA entries they take
/// 1.3 MB that the loader reads at every start and that stay resident (1.7 MiB of idle
/// RSS, docs/PERFORMANCE.md). Packed (DT_RELR, GNU ld 2.38+ or lld with glibc 2.36+)
/// they take 17 KB. But the binary then needs glibc 2.36 or later to load (a
/// GLIBC_ABI_DT_RELR requirement) where it otherwise needs 2.34: Ubuntu 22.04, RHEL 9 and
/// Amazon Linux 2023 could no longer run it. So it is opt-in (`SERVICEMESH_RELR=1`), for
/// builds that only run on newer systems. Only the binary is relinked: dependencies keep
/// their artifacts. Skipped where the linker does not take the flag.
fn relr_link_arg() {
    println!("cargo:rerun-if-env-changed={RELR_SWITCH}");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var(RELR_SWITCH) != "1"
        || var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
    {
        return;
    }
    // rustc links with `cc` unless a linker is configured. A cross build without one
    // would probe the host's linker, not the target's: leave it as it is.
    let linker = match std::env::var("RUSTC_LINKER") {
        Ok(linker) => linker,
        Err(_) if var("TARGET") == var("HOST") => "cc".to_string(),
        Err(_) => return,
    };
    let Ok(out_dir) = std::env::var("OUT_DIR") else {
        return;
    };
    if linker_takes_relr(&linker, Path::new(&out_dir)) {
        println!("cargo:rustc-link-arg-bins={RELR_FLAG}");
    }
}

/// Links an empty C program with the flag; an older GNU ld only warns about a `-z`
/// option it does not know, so warnings fail the probe.
fn linker_takes_relr(linker: &str, out_dir: &Path) -> bool {
    let source = out_dir.join("relr_probe.c");
    if std::fs::write(&source, "int main(void) { return 0; }\n").is_err() {
        return false;
    }
    Command::new(linker)
        .arg(&source)
        .arg("-o")
        .arg(out_dir.join("relr_probe"))
        .arg(RELR_FLAG)
        .arg("-Wl,--fatal-warnings")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
