//! Reading a large org: the pages after the first are read by `offset` concurrently and their
//! union checked, with a fallback to `nextPageUrl` when the org ignores `offset`, and a second
//! look when objects appear during the read. Each case counts the list requests in the
//! emulator's request log, so the path taken is proven, not assumed.

use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::fleet::write_fleet;
use super::support::{EmulatorProcess, Work, expect};

const OBJECTS: usize = 2_500;
/// Pages of 200: the first, then the offsets 200, 400, ... 2,400.
const PAGES: usize = OBJECTS.div_ceil(200);

fn secrets(command: &mut std::process::Command) -> &mut std::process::Command {
    command.env("RDS_USER", "reader").env("RDS_PASSWORD", "listing-secret")
}

/// An emulator with `flags` that logs its requests to a file of its own.
fn logged(dir: TempDir, log: &Path, flags: &[&str]) -> EmulatorProcess {
    let mut all = vec!["--log-requests", log.to_str().expect("utf-8 path")];
    all.extend(flags);
    EmulatorProcess::start_in(dir, &all)
}

/// The queries of the connection listings in a request log.
fn listings(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a JSON line"))
        .filter(|entry| {
            entry["method"] == "GET" && entry["path"].as_str().is_some_and(|p| p.ends_with("/ssot/connections"))
        })
        .map(|entry| entry["query"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// `drift --format json` and the number of items of each status.
fn drift_counts(work: &Work, emulator: &EmulatorProcess, code: i32) -> (usize, usize, Vec<String>) {
    let ran = expect(secrets(work.d360(emulator).args(["drift", "--format", "json"])), code);
    let report: serde_json::Value = serde_json::from_str(&ran.stdout).expect("drift JSON");
    let items = report["items"].as_array().expect("items");
    let in_sync = items.iter().filter(|i| i["status"] == "inSync").count();
    let mut unmanaged: Vec<String> = items
        .iter()
        .filter(|i| i["status"] == "unmanaged")
        .map(|i| i["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    unmanaged.sort();
    (in_sync, items.len(), unmanaged)
}

/// A work folder with 2,500 connections applied to a fresh emulator, and that emulator's
/// data folder (stopped) for the cases to restart with their own flags.
fn applied_org() -> (Work, TempDir) {
    let work = Work::new();
    write_fleet(&work, OBJECTS, "Listed");
    let emulator = EmulatorProcess::start(&[]);
    expect(
        secrets(
            work.d360(&emulator)
                .args(["apply", "--auto-approve", "--parallelism", "32"]),
        ),
        0,
    );
    let dir = stop(emulator);
    (work, dir)
}

/// Stops `emulator` and hands back its data folder.
fn stop(mut emulator: EmulatorProcess) -> TempDir {
    std::mem::replace(&mut emulator.dir, tempfile::tempdir().expect("temp dir"))
}

fn log_in(dir: &TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

#[test]
fn a_2500_object_org_is_listed_exactly_by_offset_and_when_offset_is_ignored() {
    let (work, dir) = applied_org();
    let logs = tempfile::tempdir().expect("temp dir");

    // Offsets honoured: every page after the first is asked for by offset, each once.
    let log = log_in(&logs, "honoured.jsonl");
    let emulator = logged(dir, &log, &[]);
    expect(secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"])), 0);
    let queries = listings(&log);
    assert_eq!(queries.len(), PAGES, "{queries:#?}");
    assert!(
        queries
            .iter()
            .all(|q| q.contains("orderBy=createdDate") && q.contains("connectorType=AwsRdsMySql")),
        "only the connector type the manifests name, in a stable order: {queries:#?}"
    );
    let mut offsets: Vec<usize> = queries
        .iter()
        .filter_map(|q| q.split('&').find_map(|pair| pair.strip_prefix("offset=")))
        .map(|n| n.parse().expect("a number"))
        .collect();
    offsets.sort_unstable();
    assert_eq!(offsets, (1..PAGES).map(|page| page * 200).collect::<Vec<_>>());
    assert_eq!(drift_counts(&work, &emulator, 0), (OBJECTS, OBJECTS, Vec::new()));
    let dir = stop(emulator);

    // Offsets ignored: one request at the second offset shows it, then `nextPageUrl`.
    let log = log_in(&logs, "ignored.jsonl");
    let emulator = logged(dir, &log, &["--ignore-offset"]);
    expect(secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"])), 0);
    let queries = listings(&log);
    assert_eq!(
        queries.iter().filter(|q| q.contains("offset=")).count(),
        1,
        "{queries:#?}"
    );
    assert_eq!(
        queries.iter().filter(|q| q.contains("pageToken=")).count(),
        PAGES - 1,
        "{queries:#?}"
    );
    assert_eq!(
        queries.len(),
        PAGES + 1,
        "the first page, the one probe, then the page tokens"
    );
    assert_eq!(drift_counts(&work, &emulator, 0), (OBJECTS, OBJECTS, Vec::new()));
}

#[test]
fn objects_created_during_the_listing_are_neither_lost_nor_doubled() {
    let (work, dir) = applied_org();
    let logs = tempfile::tempdir().expect("temp dir");
    let log = log_in(&logs, "created.jsonl");
    // The first three requests for a later page each create a connection first.
    let emulator = logged(dir, &log, &["--create-while-listing", "3"]);
    // Unmanaged objects are reported, and fail only when `--fail-on` lists them.
    let (in_sync, items, unmanaged) = drift_counts(&work, &emulator, 0);
    assert_eq!(in_sync, OBJECTS);
    assert_eq!(unmanaged, ["Listed_During_1", "Listed_During_2", "Listed_During_3"]);
    assert_eq!(items, OBJECTS + 3);
    // The totals moved during the first read, so it was read a second time, by offset again.
    let queries = listings(&log);
    let firsts = queries.iter().filter(|q| !q.contains("offset=")).count();
    assert_eq!(firsts, 2, "{queries:#?}");
    assert!(queries.iter().all(|q| !q.contains("pageToken=")), "{queries:#?}");
    // And the plan of the declared 2,500 is empty.
    expect(secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"])), 0);
}
