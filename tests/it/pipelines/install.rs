//! `examples/ci/install-d360.sh` installs exactly what the release workflow publishes: the
//! workflow's own Package and Checksums steps make a release of the binary under test, and
//! the script downloads it (over `file://`), checks it, installs it, reuses its cache and
//! refuses a tampered archive.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use super::expressions::Contexts;
use super::github::load;
use super::repository;

const TAG: &str = "v0.1.0";

fn host_target() -> &'static str {
    if cfg!(target_arch = "aarch64") {
        "aarch64-unknown-linux-gnu"
    } else {
        "x86_64-unknown-linux-gnu"
    }
}

/// Runs the release workflow's step `name` of job `job` in `dir`, with `matrix.target` set.
fn release_step(job: &str, name: &str, dir: &Path) {
    let workflow = load(&repository().join("examples/ci/github-actions/d360-release.yml"));
    let steps = workflow["jobs"][job]["steps"].as_sequence().expect("steps");
    let step = steps
        .iter()
        .find(|s| s["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no step {name}"));
    let mut contexts = Contexts::default();
    contexts.set("matrix.target", host_target());
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
        .arg(step["run"].as_str().expect("a run step"))
        .current_dir(dir)
        .env("GITHUB_REF_NAME", TAG)
        // Fast compression: the archive's layout is what matters here.
        .env("GZIP", "-1");
    for (key, value) in step["env"].as_mapping().into_iter().flatten() {
        command.env(
            key.as_str().expect("a name"),
            contexts.interpolate(value.as_str().expect("a value")),
        );
    }
    let output = command.output().expect("bash");
    assert!(
        output.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn install(home: &Path, downloads: &str) -> (std::process::Output, f64) {
    let started = Instant::now();
    let output = Command::new("bash")
        .arg(repository().join("examples/ci/install-d360.sh"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("D360_VERSION", "0.1.0")
        .env("D360_DOWNLOAD_URL", downloads)
        .output()
        .expect("run the install script");
    (output, started.elapsed().as_secs_f64())
}

#[test]
fn the_install_script_installs_what_the_release_publishes() {
    let build = tempfile::tempdir().expect("build folder");
    // The Build step (cargo) is replaced by the binary under test where it would land.
    let release = build.path().join("target").join(host_target()).join("release");
    std::fs::create_dir_all(&release).expect("release folder");
    std::fs::copy(env!("CARGO_BIN_EXE_d360"), release.join("d360")).expect("copy d360");
    std::fs::copy(repository().join("README.md"), build.path().join("README.md")).expect("README");
    release_step("build", "Package", build.path());
    // upload-artifact + download-artifact with merge-multiple put every file into dist/.
    release_step("release", "Checksums", build.path());

    // What `gh release create TAG dist/*.tar.gz dist/SHA256SUMS` publishes, under TAG/.
    let downloads = tempfile::tempdir().expect("downloads");
    let published = downloads.path().join(TAG);
    std::fs::create_dir_all(&published).expect("tag folder");
    for entry in std::fs::read_dir(build.path().join("dist")).expect("dist") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        if name.ends_with(".tar.gz") || name == "SHA256SUMS" {
            std::fs::copy(&path, published.join(&name)).expect("publish");
        }
    }
    let url = format!("file://{}", downloads.path().display());
    let home = tempfile::tempdir().expect("home");
    let (output, seconds) = install(home.path(), &url);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "d360 0.1.0");
    eprintln!("install-d360.sh took {seconds:.2} s (download, sha256sum -c, unpack)");
    let installed = home.path().join(".local/bin/d360");
    let ran = Command::new(&installed)
        .arg("--version")
        .output()
        .expect("installed d360");
    assert!(ran.status.success());

    // Cached: the next run downloads nothing (the URL is gone) and still checks the sum.
    let nowhere = format!("file://{}/gone", downloads.path().display());
    let (cached, cached_seconds) = install(home.path(), &nowhere);
    assert!(cached.status.success(), "{}", String::from_utf8_lossy(&cached.stderr));
    eprintln!("install-d360.sh from its cache took {cached_seconds:.2} s");

    // A tampered archive is refused, not installed, and dropped from the cache.
    std::fs::remove_file(&installed).expect("uninstall");
    let archive = home
        .path()
        .join(".cache/d360")
        .join(TAG)
        .join(format!("d360-{TAG}-{}.tar.gz", host_target()));
    let mut bytes = std::fs::read(&archive).expect("cached archive");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&archive, bytes).expect("tamper");
    let (refused, _) = install(home.path(), &nowhere);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("does not match its SHA256SUMS line"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!installed.exists() && !archive.exists());
}

/// A release that is not there: the script names the URL it tried and the HTTP status; with
/// no repository set, it says which variable to set.
#[test]
fn a_failed_download_names_the_url_and_the_http_status() {
    // The emulator answers 404 to any path it does not serve, as a release host does.
    let host = crate::support::EmulatorProcess::start(&[]);
    let home = tempfile::tempdir().expect("home");
    let (output, _) = install(home.path(), &format!("{}/no-such-release", host.url));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let tried = format!("{}/no-such-release/{TAG}/d360-{TAG}-{}.tar.gz", host.url, host_target());
    assert!(
        stderr.contains(&format!("cannot download {tried}: HTTP 404")),
        "{stderr}"
    );
    assert!(
        stderr.contains("check D360_VERSION (0.1.0) and D360_REPOSITORY"),
        "{stderr}"
    );

    let output = Command::new("bash")
        .arg(repository().join("examples/ci/install-d360.sh"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("D360_VERSION", "0.1.0")
        .output()
        .expect("run the install script");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("set D360_REPOSITORY to owner/name"), "{stderr}");
}
