//! The git commit manifests were read at: `git rev-parse HEAD` run in the manifests' folder,
//! and `git status --porcelain` over the manifest paths for uncommitted changes. No git, or a
//! folder outside a repository, means no commit: never an error.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::model::Commit;

/// The commit `HEAD` of the work tree holding `paths` (the first one's folder), marked dirty
/// when `git status` lists a change under any of them (untracked files included) or cannot
/// say; `None` outside git.
#[must_use]
pub(crate) fn commit_of(paths: &[PathBuf]) -> Option<Commit> {
    let first = paths.first()?;
    let folder = if first.is_dir() {
        first.clone()
    } else {
        first
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    let head = git(&folder, &["rev-parse", "--verify", "HEAD"])?;
    let id = head.trim().to_owned();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    // Absolute pathspecs: git takes them inside its work tree whatever the folder it runs in.
    let mut arguments: Vec<String> = vec![
        "status".to_owned(),
        "--porcelain".to_owned(),
        "--untracked-files=all".to_owned(),
        "--".to_owned(),
    ];
    for path in paths {
        match std::path::absolute(path) {
            Ok(absolute) => arguments.push(absolute.display().to_string()),
            Err(_) => arguments.push(path.display().to_string()),
        }
    }
    let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
    // A status git cannot give leaves the tree's cleanliness unknown: not claimed clean.
    let dirty = git(&folder, &arguments).is_none_or(|listed| !listed.trim().is_empty());
    Some(Commit { id, dirty })
}

/// What `git ARGUMENTS` printed in `folder`, when it ran and succeeded.
fn git(folder: &Path, arguments: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(arguments)
        .current_dir(folder)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(folder: &Path, arguments: &[&str]) -> bool {
        Command::new("git")
            .args(arguments)
            .current_dir(folder)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    #[test]
    fn outside_a_repository_there_is_no_commit() {
        let dir = tempfile::tempdir().expect("test setup");
        std::fs::write(dir.path().join("a.yaml"), "x: 1\n").expect("test setup");
        assert_eq!(commit_of(&[dir.path().to_path_buf()]), None);
        assert_eq!(commit_of(&[]), None);
    }

    #[test]
    fn a_commit_is_head_and_dirty_while_the_manifests_have_changes() {
        let dir = tempfile::tempdir().expect("test setup");
        let root = dir.path();
        // Without git there is no commit to find: nothing to check.
        if !run(root, &["init", "-q"]) {
            return;
        }
        let manifests = root.join("manifests");
        std::fs::create_dir_all(&manifests).expect("test setup");
        std::fs::write(manifests.join("a.yaml"), "x: 1\n").expect("test setup");
        assert!(run(root, &["add", "."]));
        assert!(run(
            root,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "commit",
                "-qm",
                "one"
            ]
        ));
        let commit = commit_of(std::slice::from_ref(&manifests)).expect("test setup");
        assert_eq!(commit.id.len(), 40);
        assert!(!commit.dirty, "{commit:?}");
        // A change elsewhere in the work tree leaves the manifests clean.
        std::fs::write(root.join("notes.txt"), "elsewhere").expect("test setup");
        assert!(!commit_of(std::slice::from_ref(&manifests)).expect("test setup").dirty);
        std::fs::write(manifests.join("b.yaml"), "y: 2\n").expect("test setup");
        let dirty = commit_of(&[manifests]).expect("test setup");
        assert!(dirty.dirty);
        assert_eq!(dirty.id, commit.id);
        assert_eq!(dirty.to_string(), format!("{}+dirty", &commit.id[..7]));
    }
}
