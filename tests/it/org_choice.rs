//! `--org all` and `promoteFrom` as `d360.yaml` declares them: `all` is every profile of the
//! file, a one-org command refuses several, and a `promoteFrom` naming no profile, the org
//! itself, or closing a circle is refused when the file is read.

use crate::support::{Work, bin, expect};

const PROFILE: &str = "    instanceUrl: https://127.0.0.1:1\n    auth: { clientCredentials: { clientId: x, clientSecret: { fromEnv: D360_TEST_UNSET } } }\n";

/// Profiles by name, with the org each promotes from.
type Profiles<'a> = &'a [(&'a str, Option<&'a str>)];

fn config(work: &Work, orgs: Profiles<'_>) {
    let mut text = String::from("orgs:\n");
    for (name, from) in orgs {
        text.push_str(&format!("  {name}:\n{PROFILE}"));
        if let Some(from) = from {
            text.push_str(&format!("    promoteFrom: {from}\n"));
        }
    }
    work.write("d360.yaml", &text);
    work.write("manifests/empty.yaml", "");
}

#[test]
fn a_one_org_command_refuses_several_and_all() {
    let work = Work::new();
    config(&work, &[("dev", None), ("prod", Some("dev"))]);
    for orgs in [&["all"][..], &["dev", "prod"][..]] {
        let mut command = bin();
        command.current_dir(work.path()).args(["apply", "--auto-approve"]);
        for org in orgs {
            command.args(["--org", org]);
        }
        let ran = expect(&mut command, 1);
        assert!(ran.stderr.contains("works on one org"), "{}", ran.stderr);
        assert!(ran.stderr.contains("run it once per org"), "{}", ran.stderr);
    }
}

#[test]
fn all_needs_profiles() {
    let work = Work::new();
    work.write("manifests/empty.yaml", "");
    let ran = expect(bin().current_dir(work.path()).args(["watch", "--org", "all"]), 1);
    assert!(ran.stderr.contains("--org all: no d360.yaml found"), "{}", ran.stderr);
    work.write("d360.yaml", "orgs: {}\n");
    let ran = expect(bin().current_dir(work.path()).args(["watch", "--org", "all"]), 1);
    assert!(ran.stderr.contains("has no org profile"), "{}", ran.stderr);
}

#[test]
fn promote_from_must_name_another_profile_without_circles() {
    let cases: [(Profiles<'_>, &str); 4] = [
        (
            &[("prod", Some("stagng")), ("staging", None)],
            "`promoteFrom: stagng` names no profile of this file; its profiles are prod, staging",
        ),
        (&[("prod", Some("prod"))], "names the org itself"),
        (
            &[("a", Some("b")), ("b", Some("a"))],
            "goes round in a circle: a → b → a",
        ),
        (&[("dev", None), ("all", None)], "the name `all` is reserved"),
    ];
    for (orgs, said) in cases {
        let work = Work::new();
        config(&work, orgs);
        let ran = expect(
            bin()
                .current_dir(work.path())
                .args(["org", "check", "--org", orgs[0].0]),
            1,
        );
        assert!(ran.stderr.contains(said), "{orgs:?}: {}", ran.stderr);
        assert!(ran.stderr.contains("d360.yaml"), "{orgs:?}: {}", ran.stderr);
    }
}
