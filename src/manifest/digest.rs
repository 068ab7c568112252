//! The digest of a manifest set as written: every YAML manifest file and every CSV inventory a
//! `ConnectionSet` read, each named by its path relative to the manifest root it was found
//! under (a folder given on the command line, or the folder of a file given by name), hashed
//! before `${…}` interpolation, per-org values and `metadata.orgs` selection. So the same
//! files give the same digest in every org and from any checkout folder, and any change to a
//! byte, a name or the set of files gives another. AWS RDS inventories listed live are not
//! files and do not enter it.
//!
//! The encoding is unambiguous: a version line, then for each file in order of its name (then
//! its content digest) the name's length as 8 bytes big-endian, the name in UTF-8 with `/`
//! separators, and the SHA-256 of its bytes.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use crate::kinds::ReadFile;
use crate::model::{Digesting, SetDigest};

/// What the encoding starts with: another encoding must change it.
const VERSION_LINE: &[u8] = b"d360 manifest set 1\n";

/// The digest of the files `read`, named relative to the manifest root in `roots` (the paths
/// given on the command line) each was found under. A file read twice counts once.
#[must_use]
pub(crate) fn of(roots: &[PathBuf], read: &[ReadFile]) -> SetDigest {
    // A root that is itself a file read is a manifest given by name; the others are folders.
    let roots: Vec<Root<'_>> = roots
        .iter()
        .map(|path| Root {
            path,
            is_file: read.iter().any(|file| file.path == *path),
        })
        .collect();
    let mut named: Vec<(String, [u8; 32])> = read
        .iter()
        .map(|file| (relative_name(&file.path, &roots), file.sha256))
        .collect();
    named.sort();
    named.dedup();
    let mut digesting = Digesting::sha256();
    // Writing into a digest cannot fail: its writer takes every byte.
    let _ = digesting.write_all(VERSION_LINE);
    for (name, sha256) in &named {
        let _ = digesting.write_all(&(name.len() as u64).to_be_bytes());
        let _ = digesting.write_all(name.as_bytes());
        let _ = digesting.write_all(sha256);
    }
    SetDigest::from_sha256(digesting.finish().as_ref())
}

/// A path given on the command line.
struct Root<'a> {
    path: &'a PathBuf,
    is_file: bool,
}

/// `path` relative to the first root it is under: a file given by name is its file name; a
/// file under a folder given is its path below that folder (`sets/fleet.yaml`), `..` resolved
/// by name (`sets/../inventory/a.csv` is `inventory/a.csv`). A path under no root (an
/// absolute CSV path) keeps its own, resolved the same way.
fn relative_name(path: &Path, roots: &[Root<'_>]) -> String {
    for root in roots {
        if path == root.path
            && let Some(name) = path.file_name()
        {
            return name.to_string_lossy().into_owned();
        }
        // A file given by name: what it reads is relative to its folder.
        let base = if root.is_file {
            root.path.parent().unwrap_or_else(|| Path::new(""))
        } else {
            root.path.as_path()
        };
        if let Ok(below) = path.strip_prefix(base) {
            return normalized(below);
        }
    }
    normalized(path)
}

/// The components of `path` joined by `/`, with `.` dropped and `name/..` cancelled.
fn normalized(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.last().is_some_and(|last| last != ".." && !last.is_empty()) {
                    parts.pop();
                } else {
                    parts.push("..".to_owned());
                }
            }
            Component::RootDir => parts.push(String::new()),
            Component::Prefix(prefix) => parts.push(prefix.as_os_str().to_string_lossy().into_owned()),
            Component::Normal(name) => parts.push(name.to_string_lossy().into_owned()),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &str, content: &str) -> ReadFile {
        ReadFile::new(PathBuf::from(path), content.as_bytes())
    }

    fn sha256(bytes: &[u8]) -> [u8; 32] {
        ReadFile::new(PathBuf::new(), bytes).sha256
    }

    /// Roots ending in `.yaml` stand for files given by name.
    #[track_caller]
    fn check_name(path: &str, roots: &[&str], expected: &str) {
        let paths: Vec<PathBuf> = roots.iter().map(PathBuf::from).collect();
        let roots: Vec<Root<'_>> = paths
            .iter()
            .map(|path| Root {
                path,
                is_file: path.extension().is_some_and(|e| e == "yaml"),
            })
            .collect();
        assert_eq!(
            relative_name(Path::new(path), &roots),
            expected,
            "{path} under {paths:?}"
        );
    }

    #[test]
    fn names_are_relative_to_their_root_with_dots_resolved() {
        check_name("manifests/sets/fleet.yaml", &["manifests"], "sets/fleet.yaml");
        check_name("./manifests/a.yaml", &["./manifests"], "a.yaml");
        check_name("manifests/sets/../inventory/a.csv", &["manifests"], "inventory/a.csv");
        check_name("manifests/../inventory/a.csv", &["manifests"], "../inventory/a.csv");
        check_name("/abs/inventory.csv", &["manifests"], "/abs/inventory.csv");
        // Not a folder here: the file's own folder is the base.
        check_name("one/connection.yaml", &["one/connection.yaml"], "connection.yaml");
        check_name("one/clinics.csv", &["one/connection.yaml"], "clinics.csv");
    }

    #[test]
    fn the_digest_ignores_the_order_files_were_read_in_and_repeats() {
        let roots = [PathBuf::from("m")];
        let a = read("m/a.yaml", "kind: Connection\n");
        let b = read("m/b/inventory.csv", "key,host\nc1,h1\n");
        assert_eq!(of(&roots, &[a.clone(), b.clone()]), of(&roots, &[b.clone(), a.clone()]));
        assert_eq!(of(&roots, &[a.clone(), b.clone(), a.clone()]), of(&roots, &[a, b]));
    }

    #[test]
    fn the_digest_is_the_same_from_another_root_folder() {
        let here = of(
            &[PathBuf::from("m")],
            &[read("m/a.yaml", "x: 1\n"), read("m/i.csv", "k\n1\n")],
        );
        let there = of(
            &[PathBuf::from("/ci/checkout/m")],
            &[
                read("/ci/checkout/m/a.yaml", "x: 1\n"),
                read("/ci/checkout/m/i.csv", "k\n1\n"),
            ],
        );
        assert_eq!(here, there);
    }

    #[test]
    fn any_byte_name_or_file_changes_the_digest() {
        let roots = [PathBuf::from("m")];
        let base = of(&roots, &[read("m/a.yaml", "x: 1\n"), read("m/i.csv", "k\n1\n")]);
        let csv_changed = of(&roots, &[read("m/a.yaml", "x: 1\n"), read("m/i.csv", "k\n2\n")]);
        let renamed = of(&roots, &[read("m/b.yaml", "x: 1\n"), read("m/i.csv", "k\n1\n")]);
        let without_csv = of(&roots, &[read("m/a.yaml", "x: 1\n")]);
        assert_ne!(base, csv_changed);
        assert_ne!(base, renamed);
        assert_ne!(base, without_csv);
        // Name and content are not run together: `ab` + `c` is not `a` + `bc`.
        let split_one = of(&roots, &[read("m/ab", "c")]);
        let split_two = of(&roots, &[read("m/a", "bc")]);
        assert_ne!(split_one, split_two);
    }

    #[test]
    fn the_digest_is_sha256_of_the_documented_encoding() {
        let roots = [PathBuf::from("m")];
        let content = sha256(b"x: 1\n");
        let mut expected = VERSION_LINE.to_vec();
        expected.extend_from_slice(&6u64.to_be_bytes());
        expected.extend_from_slice(b"a.yaml");
        expected.extend_from_slice(&content);
        assert_eq!(
            of(&roots, &[read("m/a.yaml", "x: 1\n")]),
            SetDigest::from_sha256(&sha256(&expected))
        );
    }

    fn org(name: &str, host: &str) -> crate::kinds::document::OrgValues {
        crate::kinds::document::OrgValues {
            name: name.to_owned(),
            values: [("host".to_owned(), host.to_owned())].into_iter().collect(),
            defined_in: "d360.yaml".to_owned(),
            built_in: false,
            known: None,
            ..crate::kinds::document::OrgValues::built_in(name)
        }
    }

    const SET: &str = "apiVersion: d360/v1
kind: ConnectionSet
metadata: { name: fleet }
spec:
  items: { fromCsv: ../inventory/clinics.csv }
  template:
    metadata: { name: \"AWS_RDS_${item.key}\", orgs: [dev, prod] }
    spec:
      connectorType: AwsRdsMySql
      label: \"Clinic ${item.key} ${org.name}\"
      method: Ingress
      parameters:
        jdbc_connection_url: \"jdbc:mysql://${item.key}.${org.host}:3306\"
        DATABASE: clinic
      credentials:
        user: { fromEnv: RDS_USER }
        password: { fromEnv: RDS_PASSWORD }
";

    #[test]
    fn a_load_digests_manifests_and_csv_as_written_whatever_the_org() {
        let dir = tempfile::tempdir().expect("test setup");
        let root = dir.path().join("manifests");
        std::fs::create_dir_all(root.join("sets")).expect("test setup");
        std::fs::create_dir_all(root.join("inventory")).expect("test setup");
        std::fs::write(root.join("sets/fleet.yaml"), SET).expect("test setup");
        std::fs::write(root.join("inventory/clinics.csv"), "key\nc01\nc02\n").expect("test setup");
        let roots = [root.clone()];
        let load =
            |org| super::super::load_with(&roots, crate::manifest::Inventory::Offline, &org).expect("test setup");
        let dev = load(org("dev", "dev.internal"));
        let prod = load(org("prod", "prod.internal"));
        let staging = load(org("staging", "stg.internal"));
        assert!(!dev.diagnostics.has_errors(), "{:?}", dev.diagnostics);
        // Other values, another selection: the same files, the same digest.
        assert_ne!(dev.resources, prod.resources);
        assert!(staging.resources.iter().all(|d| !d.for_this_org()));
        assert_eq!(dev.digest, prod.digest);
        assert_eq!(dev.digest, staging.digest);
        let expected = of(
            &[PathBuf::from("m")],
            &[
                read("m/sets/fleet.yaml", SET),
                read("m/inventory/clinics.csv", "key\nc01\nc02\n"),
            ],
        );
        assert_eq!(dev.digest, expected);
        // A CSV row changes it.
        std::fs::write(root.join("inventory/clinics.csv"), "key\nc01\nc03\n").expect("test setup");
        assert_ne!(load(org("dev", "dev.internal")).digest, dev.digest);
    }
}
