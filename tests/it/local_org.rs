//! The built-in `local` org: the first command says what it is, and concurrent commands on
//! it wait for each other instead of failing.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::fleet::write_connection;
use super::support::{Work, bin, expect};

fn local(work: &Work) -> Command {
    let mut command = bin();
    command
        .current_dir(work.path())
        .args(["--org", "local"])
        .env("RDS_USER", "u")
        .env("RDS_PASSWORD", "p")
        .env_remove("D360_CONFIG");
    command
}

fn spawn(command: &mut Command, stderr: &std::path::Path) -> Child {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(stderr).expect("stderr file"))
        .spawn()
        .expect("start d360")
}

fn wait_ok(mut child: Child, stderr: &std::path::Path) {
    let status = child.wait().expect("wait for d360");
    let text = std::fs::read_to_string(stderr).unwrap_or_default();
    assert!(status.success(), "{status}: {text}");
}

#[test]
fn two_concurrent_commands_on_the_local_org_both_succeed() {
    let work = Work::new();
    for name in ["Local_A", "Local_B", "Local_C"] {
        write_connection(&work, name, "AwsRdsMySql", "Local", "clinic", "");
    }
    let first = expect(local(&work).args(["plan"]), 0);
    assert!(
        first.stderr.contains("Using the built-in `local` org")
            && first.stderr.contains("not Salesforce")
            && first.stderr.contains(".d360/local")
            && first.stderr.contains(".d360/state/local.json"),
        "{first:?}"
    );
    let again = expect(local(&work).args(["plan"]), 0);
    assert!(!again.stderr.contains("Using the built-in"), "said once: {again:?}");

    let (one, two) = (work.path().join("one.err"), work.path().join("two.err"));
    let apply = spawn(local(&work).args(["apply", "--auto-approve"]), &one);
    let plan = spawn(local(&work).args(["plan"]), &two);
    wait_ok(apply, &one);
    wait_ok(plan, &two);
    expect(local(&work).args(["apply", "--auto-approve"]), 0);
    let after = expect(local(&work).args(["plan", "--detailed-exitcode"]), 0);
    assert!(after.stdout.contains("No changes"), "{after:?}");
}

#[test]
fn a_command_waits_for_the_local_org_and_says_so() {
    let work = Work::new();
    write_connection(&work, "Local_W", "AwsRdsMySql", "Local", "clinic", "");
    expect(local(&work).args(["plan"]), 0);
    // Hold the data folder with a served emulator, as a long apply would.
    let mut holder = bin()
        .args(["emulator", "--addr", "127.0.0.1:0", "--data"])
        .arg(work.path().join(".d360/local"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the emulator");
    let mut line = String::new();
    BufReader::new(holder.stdout.take().expect("emulator stdout"))
        .read_line(&mut line)
        .expect("the emulator prints its URL once it holds the folder");

    let stderr = work.path().join("waiting.err");
    let plan = spawn(local(&work).args(["plan"]), &stderr);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&stderr)
        .unwrap_or_default()
        .contains("Waiting for another d360 command using the `local` org")
    {
        assert!(Instant::now() < deadline, "no waiting message within 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    holder.kill().expect("stop the emulator");
    holder.wait().expect("reap the emulator");
    wait_ok(plan, &stderr);
}
