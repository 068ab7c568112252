//! Benchmark: `validate` and `render` over 10,000 generated resources (a CSV of 5,000 rows
//! and 5,000 plain documents), through the release binary, reporting wall time, CPU time and peak memory.
//!
//! Run: `cargo bench --bench manifests`. Target: under 1 s CPU and 200 MB peak (release).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

/// Resources from the CSV, and as many plain documents: 10,000 in all.
const COUNT: usize = 5_000;

/// CPU seconds and peak resident megabytes of one run of the release binary, read from the
/// kernel's accounting of waited-for children (the difference before and after the run).
fn measured(args: &[&str], paths: &[PathBuf]) -> (f64, f64, f64, Vec<u8>) {
    use nix::sys::resource::{UsageWho, getrusage};
    let before = getrusage(UsageWho::RUSAGE_CHILDREN).unwrap();
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_d360"))
        .args(args)
        .args(paths)
        .output()
        .unwrap();
    let wall = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "d360 {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let after = getrusage(UsageWho::RUSAGE_CHILDREN).unwrap();
    let seconds = |usage: &nix::sys::resource::Usage| {
        let user = usage.user_time();
        let system = usage.system_time();
        user.tv_sec() as f64 + user.tv_usec() as f64 / 1e6 + system.tv_sec() as f64 + system.tv_usec() as f64 / 1e6
    };
    // ru_maxrss of children is the largest of any child so far, in kilobytes on Linux.
    (
        wall,
        seconds(&after) - seconds(&before),
        after.max_rss() as f64 / 1024.0,
        output.stdout,
    )
}

fn generate(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut csv = String::from("key,host,database\n");
    for index in 0..COUNT {
        csv.push_str(&format!("k{index:05},db{index}.example.internal,clinic_{index}\n"));
    }
    std::fs::write(dir.join("inventory.csv"), csv).unwrap();
    std::fs::write(
        dir.join("set.yaml"),
        "apiVersion: d360/v1\nkind: ConnectionSet\nmetadata: { name: fleet }\nspec:\n  items: { fromCsv: inventory.csv }\n  template:\n    metadata: { name: \"Set_${item.key}\" }\n    spec:\n      connectorType: AwsRdsMySql\n      label: \"Clinic ${item.key}\"\n      parameters: { jdbc_connection_url: \"jdbc:mysql://${item.host}:3306\", DATABASE: \"${item.database}\" }\n      credentials: { user: { fromEnv: RDS_USER }, password: { fromEnv: RDS_PASSWORD } }\n",
    )
    .unwrap();
    let mut documents = String::new();
    for index in 0..COUNT {
        documents.push_str(&format!(
            "---\napiVersion: d360/v1\nkind: Connection\nmetadata: {{ name: Doc_{index:05} }}\nspec:\n  connectorType: AwsRdsMySql\n  label: Clinic {index}\n  parameters:\n    jdbc_connection_url: jdbc:mysql://db{index}.example.internal:3306\n    DATABASE: clinic_{index}\n  credentials:\n    user: {{ fromEnv: RDS_USER }}\n    password: {{ fromEnv: RDS_PASSWORD }}\n"
        ));
    }
    std::fs::write(dir.join("documents.yaml"), documents).unwrap();
    vec![dir.to_path_buf()]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let paths = generate(dir.path());
    let (validate_wall, validate_cpu, validate_peak, _) = measured(&["validate"], &paths);
    let (render_wall, render_cpu, render_peak, rendered) = measured(&["render"], &paths);
    let count = String::from_utf8_lossy(&rendered).matches("\nkind: ").count() + 1;
    assert!(count >= 2 * COUNT, "render printed {count} resources");
    println!(
        "manifests: {} resources ({COUNT} from one CSV, {COUNT} plain documents), through the binary",
        2 * COUNT
    );
    println!("validate: {validate_wall:.3} s wall, {validate_cpu:.2} s CPU, {validate_peak:.0} MB peak");
    println!(
        "render to YAML ({} bytes): {render_wall:.3} s wall, {render_cpu:.2} s CPU, {render_peak:.0} MB peak",
        rendered.len()
    );
    println!("targets: < 1 s CPU, < 200 MB peak");
}
