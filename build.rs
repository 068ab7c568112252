//! Build script: one test per plan fixture folder (`tests/fixtures/<case>/`), so adding a
//! folder adds a test. Writes `$OUT_DIR/plan_fixture_cases.rs`, included by
//! `tests/it/plan_fixtures.rs`; nothing here touches the library or the binary.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let fixtures = Path::new("tests/fixtures");
    println!("cargo:rerun-if-changed={}", fixtures.display());
    let mut cases: Vec<String> = match std::fs::read_dir(fixtures) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter(|entry| entry.path().is_dir())
            .filter_map(|entry| entry.file_name().into_string().ok())
            .collect(),
        // A packaged crate has no tests folder: no cases, nothing to generate.
        Err(_) => Vec::new(),
    };
    cases.sort();
    let mut code = String::new();
    for case in &cases {
        let name: String = case
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let _ = writeln!(code, "#[test]\nfn case_{name}() {{\n    check_case({case:?});\n}}\n");
    }
    let out = std::env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"));
    let written = out
        .and_then(|out| std::fs::write(Path::new(&out).join("plan_fixture_cases.rs"), code).map_err(|e| e.to_string()));
    if let Err(error) = written {
        println!("cargo:warning=cannot write the plan fixture tests: {error}");
        std::process::exit(1);
    }
}
