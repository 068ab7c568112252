//! Watch replicas sharing orgs on one PostgreSQL state, through the binary: three `d360 watch`
//! processes over six emulator orgs hold two each (`/status`'s `holds`, `d360_org_owner`),
//! and after one is killed with SIGKILL its orgs are owned and reconciled by the other two
//! within two intervals. Every wait polls with a deadline.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use super::fleet::write_connection;
use super::postgres::Cluster;
use super::support::{EmulatorProcess, Work};
use super::watch::Watcher;

const ORGS: [&str; 6] = ["o1", "o2", "o3", "o4", "o5", "o6"];
/// The test's interval: short, so the test runs in seconds.
const INTERVAL: Duration = Duration::from_secs(2);

/// `d360.yaml` with one org per emulator, every org's state in `cluster`.
fn six_orgs(work: &Work, emulators: &[EmulatorProcess]) {
    let mut text = "orgs:\n".to_owned();
    for (name, emulator) in ORGS.iter().zip(emulators) {
        text.push_str(&emulator.profile(name));
        text.push_str("    state: { backend: postgres, url: { fromEnv: D360_STATE_URL } }\n");
    }
    work.write("d360.yaml", &text);
}

fn replica(work: &Work, emulator: &EmulatorProcess, cluster: &Cluster) -> Watcher {
    let mut command = work.d360(emulator);
    command
        .env_remove("D360_ORG")
        .env("D360_STATE_URL", &cluster.url)
        .env("RDS_USER", "u")
        .env("RDS_PASSWORD", "p")
        .args(["watch", "--interval", "2s"]);
    for org in ORGS {
        command.args(["--org", org]);
    }
    Watcher::start(&mut command)
}

/// `/status` of a replica.
fn status(replica: &Watcher) -> serde_json::Value {
    let (code, body) = replica.get("/status");
    assert_eq!(code, 200, "{body}");
    serde_json::from_str(&body).expect("status JSON")
}

/// The orgs a replica says it holds.
fn holds(replica: &Watcher) -> BTreeSet<String> {
    status(replica)["holds"]
        .as_array()
        .expect("holds")
        .iter()
        .map(|org| org.as_str().expect("an org name").to_owned())
        .collect()
}

fn successes(replica: &Watcher, org: &str) -> f64 {
    replica
        .metrics()
        .value("d360_reconcile_runs_total", &[("org", org), ("result", "success")])
        .unwrap_or(0.0)
}

/// Polls until `check` holds, for at most `limit`.
#[track_caller]
fn wait(what: &str, limit: Duration, replicas: &[&Watcher], check: impl Fn() -> bool) {
    let started = Instant::now();
    while !check() {
        if started.elapsed() > limit {
            let seen: Vec<String> = replicas
                .iter()
                .map(|r| format!("{}\n--- stderr\n{}", status(r), r.stderr()))
                .collect();
            panic!("{what}: not within {limit:?}\n{}", seen.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn three_replicas_share_six_orgs_and_take_over_a_killed_ones() {
    let Some(cluster) = Cluster::start() else { return };
    let emulators: Vec<EmulatorProcess> = ORGS.iter().map(|_| EmulatorProcess::start(&[])).collect();
    let work = Work::new();
    write_connection(&work, "Watch_A", "AwsRdsMySql", "Original", "clinic", "");
    six_orgs(&work, &emulators);
    let replicas: Vec<Watcher> = (0..3).map(|_| replica(&work, &emulators[0], &cluster)).collect();
    let all = replicas.iter().collect::<Vec<_>>();

    // Two each, six distinct, each reconciled by its owner; the owner metric agrees.
    wait("two orgs each", Duration::from_secs(30), &all, || {
        let held: Vec<BTreeSet<String>> = replicas.iter().map(holds).collect();
        let union: BTreeSet<&String> = held.iter().flatten().collect();
        held.iter().all(|h| h.len() == 2) && union.len() == 6
    });
    let held: Vec<BTreeSet<String>> = replicas.iter().map(holds).collect();
    for (replica, held) in replicas.iter().zip(&held) {
        wait("a run of each org held", Duration::from_secs(20), &all, || {
            held.iter().all(|org| successes(replica, org) >= 1.0)
        });
        let metrics = replica.metrics();
        for org in ORGS {
            let owner = metrics.value("d360_org_owner", &[("org", org)]);
            assert_eq!(
                owner,
                Some(f64::from(u8::from(held.contains(org)))),
                "{org}\n{}",
                metrics.text
            );
            assert_eq!(
                metrics.value("d360_watch_replicas", &[("org", org)]),
                Some(3.0),
                "{}",
                metrics.text
            );
        }
        let status = status(replica);
        for org in status["orgs"].as_array().expect("orgs") {
            let name = org["org"].as_str().expect("name");
            let role = if held.contains(name) { "owner" } else { "standby" };
            assert_eq!(org["role"], role, "{status}");
            assert_eq!(org["replicas"], 3, "{status}");
            assert_eq!(org["fairShare"], 2, "{status}");
        }
    }

    // SIGKILL one replica: its sessions end, so its presence and its owner locks go.
    let mut replicas = replicas;
    let killed = replicas.remove(1);
    let orphans = held[1].clone();
    let before: Vec<Vec<f64>> = replicas
        .iter()
        .map(|r| orphans.iter().map(|org| successes(r, org)).collect())
        .collect();
    killed.signal("-KILL");
    let at = Instant::now();
    drop(killed);
    let survivors = replicas.iter().collect::<Vec<_>>();
    // Within two intervals, each orphan has a new owner that finished a run of it.
    wait(
        "the killed replica's orgs reconciled by the others",
        INTERVAL * 2,
        &survivors,
        || {
            orphans.iter().enumerate().all(|(index, org)| {
                replicas
                    .iter()
                    .zip(&before)
                    .any(|(r, before)| holds(r).contains(org) && successes(r, org) > before[index])
            })
        },
    );
    let took = at.elapsed();
    eprintln!("takeover of {orphans:?}: {:.2}s after SIGKILL", took.as_secs_f64());
    // The survivors hold three each, every org exactly once.
    wait("three orgs each", INTERVAL * 2, &survivors, || {
        replicas.iter().all(|r| holds(r).len() == 3)
    });
    let mut owners = BTreeSet::new();
    for replica in &replicas {
        let metrics = replica.metrics();
        for org in holds(replica) {
            assert!(owners.insert(org.clone()), "{org} is held twice");
            assert_eq!(metrics.value("d360_org_owner", &[("org", org.as_str())]), Some(1.0));
        }
        assert_eq!(status(replica)["orgs"][0]["replicas"], 2);
    }
    assert_eq!(owners.len(), 6);
}
