//! Benchmark: `validate` and `render` over 10,000 generated resources (a CSV of 5,000 rows
//! and 5,000 plain documents), in process, reporting wall time, CPU time and peak memory.
//!
//! Run: `cargo bench --bench manifests`. Target: under 1 s CPU and 200 MB peak (release).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Instant;

/// Resources from the CSV, and as many plain documents: 10,000 in all.
const COUNT: usize = 5_000;

fn cpu_seconds() -> f64 {
    // utime + stime from /proc/self/stat, in clock ticks (100 per second on Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|u| u.parse::<f64>().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn peak_memory_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
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
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let loaded = d360::manifest::load(&paths).unwrap();
    let validate_wall = started.elapsed().as_secs_f64();
    let validate_cpu = cpu_seconds() - cpu_before;
    assert!(!loaded.diagnostics.has_errors(), "generated manifests must be valid");
    assert_eq!(loaded.resources.len(), 2 * COUNT);

    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let resources: Vec<&d360::model::Resource> = loaded.resources.iter().map(|d| &d.resource).collect();
    let rendered = d360::manifest::render::to_yaml(&resources, Some(dir.path()));
    let render_wall = started.elapsed().as_secs_f64();
    let render_cpu = cpu_seconds() - cpu_before;
    println!(
        "manifests: {} resources ({} from one CSV, {} plain documents)",
        loaded.resources.len(),
        COUNT,
        COUNT
    );
    println!("validate (load + check): {validate_wall:.3} s wall, {validate_cpu:.2} s CPU");
    println!(
        "render to YAML ({} bytes): {render_wall:.3} s wall, {render_cpu:.2} s CPU",
        rendered.len()
    );
    println!("peak memory (VmHWM): {:.0} MB", peak_memory_mb());
    println!("targets: < 1 s CPU, < 200 MB peak");
}
