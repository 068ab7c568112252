//! One plan for many orgs: `plan`, `drift` and `validate` with `--org all` (and `--org`
//! repeated) against three emulator orgs, dev, staging and prod, in one `d360.yaml`: one
//! section (or comment section, or JSON entry) per org, each org with its own values, an
//! org's error its own, the exit codes aggregated, one saved plan per org, and the orgs read
//! at the same time.

use std::process::Command;

use crate::support::{EmulatorProcess, Ran, Work, bin, expect, scrub};

/// A connection whose host, label and database differ per org only by values.
const DB: &str = "apiVersion: d360/v1
kind: Connection
metadata:
  name: Clinic_DB
spec:
  connectorType: AwsRdsMySql
  label: Clinic DB ${org.name} (${org.tier})
  method: Ingress
  parameters:
    jdbc_connection_url: jdbc:mysql://${org.db_host}:3306
    DATABASE: ${org.database}
  credentials:
    user: { fromEnv: RDS_USER }
    password: { fromEnv: RDS_PASSWORD }
";

const ORGS: [&str; 3] = ["dev", "prod", "staging"];

/// Three emulator orgs and a work folder whose `d360.yaml` names them, each with its values.
struct Fleet {
    work: Work,
    dev: EmulatorProcess,
    staging: EmulatorProcess,
    prod: EmulatorProcess,
}

impl Fleet {
    /// Three orgs started with `flags` (the `{org}` in a flag becomes the org's name).
    fn start(flags: &[&str]) -> Self {
        let started = |org: &str| {
            let flags: Vec<String> = flags.iter().map(|flag| flag.replace("{org}", org)).collect();
            EmulatorProcess::start(&flags.iter().map(String::as_str).collect::<Vec<_>>())
        };
        let fleet = Self {
            work: Work::new(),
            dev: started("dev"),
            staging: started("staging"),
            prod: started("prod"),
        };
        fleet.write_config(&[]);
        fleet.work.write("manifests/db.yaml", DB);
        fleet
    }

    fn emulator(&self, org: &str) -> &EmulatorProcess {
        match org {
            "dev" => &self.dev,
            "staging" => &self.staging,
            _ => &self.prod,
        }
    }

    /// `d360.yaml` with the three orgs; the orgs in `without_tier` define no `tier`.
    fn write_config(&self, without_tier: &[&str]) {
        let mut text = String::from("orgs:\n");
        for org in ORGS {
            let emulator = self.emulator(org);
            text.push_str(&emulator.profile(org));
            text.push_str(&format!(
                "    values:\n      db_host: {org}-db.example.internal\n      database: clinic_{org}\n      db_password: {{ fromEnv: {}_DB_PASSWORD }}\n",
                org.to_uppercase()
            ));
            if !without_tier.contains(&org) {
                text.push_str(&format!("      tier: {org} tier\n"));
            }
        }
        self.work.write("d360.yaml", &text);
    }

    /// `d360` in the work folder with the credentials the connection reads, and no `D360_*` org.
    fn d360(&self) -> Command {
        let mut command = bin();
        command
            .current_dir(self.work.path())
            .env("RDS_USER", "u")
            .env("RDS_PASSWORD", "p");
        command
    }
}

/// Everything an emulator recorded of the objects written to it.
fn recorded(emulator: &EmulatorProcess) -> String {
    ["journal.jsonl", "objects.json"]
        .iter()
        .map(|file| std::fs::read_to_string(emulator.dir.path().join(file)).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text of `org`'s section: from its header to the next header (or the end).
fn section<'a>(text: &'a str, start: &str, org: &str) -> &'a str {
    let begin = text
        .find(&format!("{start}{org}"))
        .unwrap_or_else(|| panic!("no section for {org} in\n{text}"));
    let rest = &text[begin..];
    let end = rest[start.len()..]
        .find(start)
        .map_or(rest.len(), |index| index + start.len());
    &rest[..end]
}

fn shown(ran: &Ran) -> String {
    format!(
        "exit {}\n--- stdout\n{}\n--- stderr\n{}",
        ran.code,
        scrub(&ran.stdout),
        scrub(&ran.stderr)
    )
}

#[test]
fn one_comment_plans_every_org_with_its_own_values() {
    let fleet = Fleet::start(&[]);
    let ran = expect(
        fleet
            .d360()
            .args(["plan", "--org", "all", "--format", "markdown", "--detailed-exitcode"]),
        2,
    );
    let comment = &ran.stdout;
    assert_eq!(comment.matches("## d360 plan for 3 orgs").count(), 1, "{ran:?}");
    assert!(
        comment.contains("| org | creates | updates | replaces | deletes | errors |"),
        "{ran:?}"
    );
    for org in ORGS {
        assert!(comment.contains(&format!("| `{org}` | 1 | 0 | 0 | 0 | 0 |")), "{ran:?}");
        let part = section(comment, "<details><summary><b>", org);
        assert!(part.contains(&format!("### d360 plan for `{org}`")), "{part}");
        assert!(part.contains(&format!("Clinic DB {org} ({org} tier)")), "{part}");
        assert!(
            part.contains(&format!("jdbc:mysql://{org}-db.example.internal:3306")),
            "{part}"
        );
        assert!(part.contains(&format!("clinic_{org}")), "{part}");
        for other in ORGS.iter().filter(|other| **other != org) {
            assert!(
                !part.contains(&format!("{other}-db")),
                "{other}'s values in {org}'s section:\n{part}"
            );
        }
    }
    assert_eq!(comment.matches("<details><summary><b>").count(), 3, "{ran:?}");
    assert!(comment.contains("3 orgs: 3 with changes (dev, prod, staging), 0 without, 0 failed."));
    insta::assert_snapshot!("plan_every_org_markdown", shown(&ran));

    // Without --detailed-exitcode, changes are exit 0; nothing was written anywhere.
    expect(fleet.d360().args(["plan", "--org", "all"]), 0);
    for org in ORGS {
        assert!(!recorded(fleet.emulator(org)).contains("Clinic_DB"), "{org} untouched");
    }
}

#[test]
fn an_org_missing_a_value_fails_alone_and_the_others_are_still_planned() {
    let fleet = Fleet::start(&[]);
    fleet.write_config(&["prod"]);
    let ran = expect(fleet.d360().args(["plan", "--org", "all", "--detailed-exitcode"]), 1);
    for org in ["dev", "staging"] {
        let part = section(&ran.stdout, "── org ", org);
        assert!(part.contains("+ Connection/Clinic_DB will be created"), "{part}");
        assert!(
            part.contains("Plan: 1 to create, 0 to update, 0 to replace, 0 to delete."),
            "{part}"
        );
    }
    insta::assert_snapshot!("plan_every_org_text_one_failed", shown(&ran));
    let prod = section(&ran.stdout, "── org ", "prod");
    assert!(
        prod.contains("manifests/db.yaml:7:33: error: ${org.tier}: org `prod` defines no value `tier`"),
        "{prod}"
    );
    assert!(!prod.contains("Plan:"), "{prod}");
    assert!(
        ran.stdout
            .trim_end()
            .ends_with("3 orgs: 2 with changes (dev, staging), 0 without, 1 failed (prod)."),
        "{ran:?}"
    );

    // In the comment, the failed org's section is open and its row counts the error.
    let comment = expect(fleet.d360().args(["plan", "--org", "all", "--format", "markdown"]), 1);
    assert!(comment.stdout.contains("| `prod` | – | – | – | – | 1 |"), "{comment:?}");
    // Stdout may be the comment file: the job's log still says why prod failed.
    assert!(comment.stderr.contains("error: org `prod`: 1 error"), "{comment:?}");
    assert!(
        comment
            .stderr
            .contains("manifests/db.yaml:7:33: error: ${org.tier}: org `prod` defines no value `tier`"),
        "{comment:?}"
    );
    assert!(
        comment
            .stdout
            .contains("<details open><summary><b>prod</b>: ❌ not planned</summary>"),
        "{comment:?}"
    );
    assert_eq!(
        comment.stdout.matches("<details><summary><b>").count(),
        2,
        "{comment:?}"
    );

    // JSON: two plans and prod's error.
    let json = expect(fleet.d360().args(["plan", "--org", "all", "--format", "json"]), 1);
    let document: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let orgs = document["orgs"].as_array().expect("orgs");
    assert_eq!(orgs.len(), 3);
    assert_eq!(orgs[1]["org"], "prod");
    assert!(orgs[1]["plan"].is_null(), "{json:?}");
    assert!(
        orgs[1]["error"]["message"]
            .as_str()
            .expect("message")
            .contains("org `prod` defines no value `tier`"),
        "{json:?}"
    );

    // `--org` given twice: only those orgs.
    let two = expect(
        fleet
            .d360()
            .args(["plan", "--org", "staging", "--org", "dev", "--detailed-exitcode"]),
        2,
    );
    assert!(two.stdout.find("── org staging").expect("staging") < two.stdout.find("── org dev").expect("dev"));
    assert!(!two.stdout.contains("── org prod"), "{two:?}");
}

#[test]
fn json_has_one_plan_per_org() {
    let fleet = Fleet::start(&[]);
    let ran = expect(fleet.d360().args(["plan", "--org", "all", "--format", "json"]), 0);
    let document: serde_json::Value = serde_json::from_str(&ran.stdout).expect("one JSON document");
    assert_eq!(document["formatVersion"], 1);
    let orgs = document["orgs"].as_array().expect("orgs");
    assert_eq!(orgs.len(), 3, "{ran:?}");
    for (entry, org) in orgs.iter().zip(ORGS) {
        assert_eq!(entry["org"], org);
        assert!(entry["error"].is_null(), "{entry}");
        let plan = &entry["plan"];
        assert_eq!(plan["formatVersion"], 1);
        assert_eq!(plan["org"], org);
        assert_eq!(plan["summary"]["create"], 1);
        let changes = plan["actions"][0]["changes"].as_array().expect("changes");
        let database = changes
            .iter()
            .find(|change| change["field"] == "parameters.DATABASE")
            .expect("the database is set");
        assert_eq!(database["new"], format!("clinic_{org}"), "{entry}");
    }
}

#[test]
fn out_dir_saves_a_plan_per_org_and_apply_takes_one() {
    let fleet = Fleet::start(&[]);
    let ran = expect(fleet.d360().args(["plan", "--org", "all", "--out", "plans"]), 0);
    for org in ORGS {
        let path = fleet.work.path().join(format!("plans/{org}.json"));
        let saved: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("a plan per org")).expect("JSON");
        assert_eq!(saved["org"], org, "{ran:?}");
        assert!(
            saved["digest"].as_str().is_some_and(|d| d.starts_with("sha256:")),
            "{saved}"
        );
        assert!(
            ran.stderr.contains(&format!(
                "Saved the plan to plans/{org}.json. Apply it with: d360 apply plans/{org}.json"
            )),
            "{ran:?}"
        );
    }

    // As the message says: the plan file names its org; another --org is refused.
    let other = expect(fleet.d360().args(["apply", "--org", "dev", "plans/staging.json"]), 1);
    assert!(
        other.stderr.contains("the plan was made for org `staging`, not `dev`"),
        "{other:?}"
    );
    expect(fleet.d360().args(["apply", "plans/staging.json"]), 0);
    assert!(recorded(&fleet.staging).contains("staging-db.example.internal"));
    for org in ["dev", "prod"] {
        assert!(!recorded(fleet.emulator(org)).contains("Clinic_DB"), "{org} untouched");
    }
    // Planned again: staging has nothing to do, the others still their create.
    let again = expect(fleet.d360().args(["plan", "--org", "all", "--detailed-exitcode"]), 2);
    assert!(
        again
            .stdout
            .contains("3 orgs: 2 with changes (dev, prod), 1 without (staging), 0 failed."),
        "{again:?}"
    );

    // A plan with an error is not saved; the others are.
    fleet.write_config(&["dev"]);
    let failed = expect(fleet.d360().args(["plan", "--org", "all", "--out", "again"]), 1);
    assert!(
        failed.stderr.contains("`dev` was not planned; no plan saved for it."),
        "{failed:?}"
    );
    assert!(!fleet.work.path().join("again/dev.json").exists());
    assert!(fleet.work.path().join("again/prod.json").exists());
}

#[test]
fn drift_of_every_org_reports_the_one_that_changed() {
    let fleet = Fleet::start(&[]);
    for org in ORGS {
        expect(fleet.d360().args(["apply", "--org", org, "--auto-approve"]), 0);
    }
    let clean = expect(fleet.d360().args(["drift", "--org", "all"]), 0);
    assert!(
        clean
            .stdout
            .contains("3 orgs: 0 with drift, 3 without (dev, prod, staging), 0 failed."),
        "{clean:?}"
    );

    // Someone edits staging's connection by hand (another project with no state of it).
    let other = Work::new();
    other.write(
        "manifests/db.yaml",
        &DB.replace("Clinic DB ${org.name} (${org.tier})", "Edited by hand")
            .replace("${org.db_host}", "staging-db.example.internal")
            .replace("${org.database}", "clinic_staging"),
    );
    expect(
        other
            .d360(&fleet.staging)
            .env("RDS_USER", "u")
            .env("RDS_PASSWORD", "p")
            .args(["apply", "--auto-approve"]),
        0,
    );

    let ran = expect(fleet.d360().args(["drift", "--org", "all"]), 2);
    let staging = section(&ran.stdout, "── org ", "staging");
    assert!(staging.contains("~ Connection/Clinic_DB"), "{staging}");
    assert!(
        staging.contains("\"Clinic DB staging (staging tier)\" → \"Edited by hand\""),
        "{staging}"
    );
    for org in ["dev", "prod"] {
        let part = section(&ran.stdout, "── org ", org);
        assert!(part.contains("No drift: 1 resource in sync."), "{part}");
    }
    assert!(
        ran.stdout
            .contains("3 orgs: 1 with drift (staging), 2 without (dev, prod), 0 failed."),
        "{ran:?}"
    );

    let json = expect(fleet.d360().args(["drift", "--org", "all", "--format", "json"]), 2);
    let document: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let drifted: Vec<(&str, bool)> = document["orgs"]
        .as_array()
        .expect("orgs")
        .iter()
        .map(|entry| (entry["org"].as_str().expect("org"), entry["report"]["drift"] == true))
        .collect();
    assert_eq!(drifted, [("dev", false), ("prod", false), ("staging", true)]);

    // One comment: the org that drifted has its section open.
    let comment = expect(fleet.d360().args(["drift", "--org", "all", "--format", "markdown"]), 2);
    assert_eq!(
        comment.stdout.matches("## d360 drift for 3 orgs").count(),
        1,
        "{comment:?}"
    );
    assert!(
        comment.stdout.contains("| `staging` | 1 | 0 | 0 | 0 | 0 | 0 |"),
        "{comment:?}"
    );
    assert!(
        comment
            .stdout
            .contains("<details open><summary><b>staging</b>: Drift: 1 changed"),
        "{comment:?}"
    );
    assert_eq!(
        comment.stdout.matches("<details><summary><b>").count(),
        2,
        "{comment:?}"
    );

    // Drift that --fail-on does not list is exit 0, and an org that cannot be read is exit 1.
    expect(fleet.d360().args(["drift", "--org", "all", "--fail-on", "missing"]), 0);
    fleet.write_config(&["prod"]);
    let failed = expect(fleet.d360().args(["drift", "--org", "all", "--format", "junit"]), 1);
    assert!(
        failed
            .stdout
            .contains("<testsuite name=\"d360 drift: staging\" tests=\"1\" failures=\"1\""),
        "{failed:?}"
    );
    assert!(
        failed
            .stdout
            .contains("<testsuite name=\"d360 drift: prod\" tests=\"1\" failures=\"0\" errors=\"1\">"),
        "{failed:?}"
    );
}

#[test]
fn validate_every_org_names_the_org_that_lacks_a_value() {
    let fleet = Fleet::start(&[]);
    expect(fleet.d360().args(["validate", "--org", "all"]), 0);
    fleet.write_config(&["staging"]);
    let ran = expect(fleet.d360().args(["validate", "--org", "all"]), 1);
    for org in ["dev", "prod"] {
        assert!(
            ran.stdout.contains(&format!(
                "{org}: valid: 1 file, 1 document: 1 connection, 0 data streams"
            )),
            "{ran:?}"
        );
    }
    assert!(
        ran.stdout.contains("staging: error: 1 error and 0 warnings in 1 file"),
        "{ran:?}"
    );
    assert!(ran.stderr.contains("── org staging ──"), "{ran:?}");
    assert!(ran.stderr.contains("org `staging` defines no value `tier`"), "{ran:?}");

    let short = expect(fleet.d360().args(["validate", "--org", "all", "--format", "short"]), 1);
    assert_eq!(short.stdout.lines().count(), 1, "{short:?}");
    assert!(
        short.stdout.contains("org `staging` defines no value `tier`"),
        "{short:?}"
    );

    let json = expect(fleet.d360().args(["validate", "--org", "all", "--format", "json"]), 1);
    let document: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(document["valid"], false);
    let valid: Vec<bool> = document["orgs"]
        .as_array()
        .expect("orgs")
        .iter()
        .map(|entry| entry["report"]["valid"] == true)
        .collect();
    assert_eq!(valid, [true, true, false]);
}

/// Each org answers every API request after 400 ms and logs when each request began and
/// ended. Read one after another, an org's requests would all end before the next org's
/// began; read at once, every two orgs' reading overlaps.
#[test]
fn orgs_are_read_at_the_same_time() {
    let logs = tempfile::tempdir().expect("temp dir");
    let log_flag = format!("{}/{{org}}.jsonl", logs.path().display());
    let fleet = Fleet::start(&["--latency", "400", "--log-requests", &log_flag]);
    expect(fleet.d360().args(["plan", "--org", "all"]), 0);

    let spans: Vec<(&str, f64, f64)> = ORGS
        .iter()
        .map(|org| {
            let text = std::fs::read_to_string(logs.path().join(format!("{org}.jsonl"))).expect("request log");
            let mut begin = f64::MAX;
            let mut end = f64::MIN;
            for line in text.lines() {
                let entry: serde_json::Value = serde_json::from_str(line).expect("JSON line");
                if !entry["path"]
                    .as_str()
                    .is_some_and(|path| path.starts_with("/services/data/"))
                {
                    continue;
                }
                let time = time::OffsetDateTime::parse(
                    entry["time"].as_str().expect("time"),
                    &time::format_description::well_known::Rfc3339,
                )
                .expect("a time");
                let ended = (time.unix_timestamp_nanos() / 1_000_000) as f64;
                let took = entry["duration_ms"].as_f64().expect("duration");
                assert!(took >= 400.0, "the latency applies: {entry}");
                begin = begin.min(ended - took);
                end = end.max(ended);
            }
            assert!(begin < end, "{org} was read: {text}");
            (*org, begin, end)
        })
        .collect();
    for (index, (org, begin, end)) in spans.iter().enumerate() {
        for (other, other_begin, other_end) in &spans[index + 1..] {
            assert!(
                begin < other_end && other_begin < end,
                "{org} ({begin}..{end}) and {other} ({other_begin}..{other_end}) were read one after the other"
            );
        }
    }
}

/// A plan too long for one comment: prod alone has 250 connections to create. Its section is
/// given in brief (with the command that prints it in full); the others stay whole, and the
/// comment stays under GitHub's limit.
#[test]
fn the_comment_stays_under_githubs_limit() {
    let fleet = Fleet::start(&[]);
    fleet.work.write(
        "manifests/fleet.yaml",
        "apiVersion: d360/v1
kind: ConnectionSet
metadata: { name: fleet }
spec:
  items: { fromCsv: fleet.csv }
  template:
    metadata: { name: \"Fleet_${item.key}\" }
    spec:
      connectorType: AwsRdsMySql
      label: \"Fleet ${item.key}\"
      method: Ingress
      parameters: { jdbc_connection_url: \"jdbc:mysql://${item.key}.${org.db_host}:3306\", DATABASE: clinic }
      credentials: { user: { fromEnv: RDS_USER }, password: { fromEnv: RDS_PASSWORD } }
",
    );
    let mut csv = String::from("key,orgs\n");
    for index in 0..250 {
        csv.push_str(&format!("p{index:03},prod\n"));
    }
    fleet.work.write("manifests/fleet.csv", &csv);

    let ran = expect(fleet.d360().args(["plan", "--org", "all", "--format", "markdown"]), 0);
    let comment = ran.stdout.trim_end();
    assert!(
        comment.chars().count() <= 65_536,
        "{} characters",
        comment.chars().count()
    );
    assert!(comment.contains("| `prod` | 251 | 0 | 0 | 0 | 0 |"), "{comment}");
    let prod = section(comment, "<details><summary><b>", "prod");
    assert!(
        prod.contains("The plan of `prod` is too long for this comment")
            && prod.contains("run `d360 plan --org prod` to read it"),
        "{prod}"
    );
    assert!(prod.contains("Plan: 251 to create"), "{prod}");
    for org in ["dev", "staging"] {
        let part = section(comment, "<details><summary><b>", org);
        assert!(part.contains("```diff"), "{org} is shown in full: {part}");
    }
}

/// Each org's credential comes from its own secret (`{ fromOrg: db_password }`), read for that
/// org alone: an org whose secret is not set fails, the others are planned.
#[test]
fn each_org_reads_its_own_secret() {
    let fleet = Fleet::start(&[]);
    fleet.work.write(
        "manifests/db.yaml",
        &DB.replace(
            "password: { fromEnv: RDS_PASSWORD }",
            "password: { fromOrg: db_password }",
        ),
    );
    let ran = expect(
        fleet
            .d360()
            .env("DEV_DB_PASSWORD", "dev-secret")
            .env("STAGING_DB_PASSWORD", "staging-secret")
            .env_remove("PROD_DB_PASSWORD")
            .args(["plan", "--org", "all", "--detailed-exitcode"]),
        1,
    );
    for org in ["dev", "staging"] {
        let part = section(&ran.stdout, "── org ", org);
        assert!(
            part.contains(&format!(
                "credentials.password: (sensitive, fromEnv: {}_DB_PASSWORD)",
                org.to_uppercase()
            )),
            "{part}"
        );
        assert!(part.contains("Plan: 1 to create"), "{part}");
    }
    let prod = section(&ran.stdout, "── org ", "prod");
    assert!(prod.contains("PROD_DB_PASSWORD"), "{prod}");
    assert!(!prod.contains("Plan: 1 to create"), "{prod}");
    for secret in ["dev-secret", "staging-secret"] {
        assert!(!ran.stdout.contains(secret) && !ran.stderr.contains(secret), "{ran:?}");
    }
}
