//! Links the system libopus found by pkg-config.
//!
//! libopus is not vendored: Debian ships it as `libopus-dev`, and the
//! workspace's `scripts/setup` installs it. When pkg-config cannot find it,
//! the build stops with one line saying what to install, instead of a linker
//! error much later.

/// The oldest libopus whose API this crate declares (`opus_packet_parse`,
/// `OPUS_SET_PHASE_INVERSION_DISABLED` and the 80–120 ms frame sizes need
/// 1.2; Debian 11 and later ship 1.3.1).
const MIN_VERSION: &str = "1.2";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    match pkg_config::Config::new()
        .atleast_version(MIN_VERSION)
        .print_system_libs(false)
        .probe("opus")
    {
        Ok(lib) => {
            // Exposed to dependents as DEP_OPUS_VERSION (the `links` key).
            println!("cargo:version={}", lib.version);
        }
        Err(err) => {
            let why = match err {
                pkg_config::Error::Command { .. } => "pkg-config is not installed".to_string(),
                _ => format!("pkg-config found no libopus >= {MIN_VERSION}"),
            };
            println!(
                "cargo::error={why}; install it with `apt-get install pkg-config libopus-dev` (Debian package libopus-dev) or run scripts/setup"
            );
        }
    }
}
