//! The book in `docs/`: its generated references are fresh, every chapter is in SUMMARY.md,
//! and every relative link and `#anchor` in the book and the README resolves.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::{bin, run};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn generated_references_are_fresh() {
    let ran = run(bin()
        .current_dir(root())
        .args(["reference", "--check", "--out", "docs/src/reference"]));
    assert_eq!(
        ran.code, 0,
        "the book's generated references are stale: run `cargo run -- reference --out docs/src/reference` and commit the result\n{ran:?}"
    );
    let commands = std::fs::read_to_string(root().join("docs/src/reference/commands.md")).unwrap();
    for heading in ["## `d360 plan`", "### `d360 state list`", "## `d360 version`"] {
        assert!(commands.contains(heading), "{heading} missing");
    }
    assert!(
        !commands.contains("d360 reference"),
        "the hidden command is not documented"
    );
    let manifest = std::fs::read_to_string(root().join("docs/src/reference/manifest.md")).unwrap();
    for heading in ["## Connection\n", "## ConnectionSet\n", "## DataStream\n"] {
        assert!(manifest.contains(heading), "{heading} missing");
    }
}

#[test]
fn a_stale_reference_fails_with_the_command_that_regenerates_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("commands.md"), "old\n").unwrap();
    let ran = run(bin().arg("reference").arg("--check").arg("--out").arg(dir.path()));
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("commands.md"), "{ran:?}");
    assert!(ran.stderr.contains("manifest.md"), "{ran:?}");
    assert!(ran.stderr.contains("run `cargo run -- reference --out"), "{ran:?}");
}

/// Every Markdown file under `dir`.
fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|extension| extension == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Lines outside fenced code blocks.
fn prose(text: &str) -> Vec<&str> {
    let mut fenced = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            lines.push(line);
        }
    }
    lines
}

/// The ids mdBook gives a page's headings (a repeated heading gets `-1`, `-2`, ...).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut ids = BTreeSet::new();
    let link = regex::Regex::new(r"\[([^\]]*)\]\([^)]*\)").unwrap();
    for line in prose(text) {
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        let heading = heading.trim_start_matches('#').trim();
        // Inline markup does not reach the id: code spans and link targets drop out.
        let plain = link.replace_all(heading, "$1").replace('`', "");
        let id: String = plain
            .chars()
            .filter_map(|c| {
                if c.is_alphanumeric() || c == '_' || c == '-' {
                    Some(c.to_ascii_lowercase())
                } else if c.is_whitespace() {
                    Some('-')
                } else {
                    None
                }
            })
            .collect();
        let count = seen.entry(id.clone()).or_insert(0);
        let unique = if *count == 0 {
            id.clone()
        } else {
            format!("{id}-{count}")
        };
        *count += 1;
        ids.insert(unique);
    }
    ids
}

/// Each `[text](target)` link target of a Markdown text, outside code.
fn links(text: &str) -> Vec<String> {
    let pattern = regex::Regex::new(r"\]\(([^)\s]+)\)").unwrap();
    let code = regex::Regex::new(r"`[^`]*`").unwrap();
    let mut found = Vec::new();
    for line in prose(text) {
        let line = code.replace_all(line, "");
        for capture in pattern.captures_iter(&line) {
            found.push(capture[1].to_owned());
        }
    }
    found
}

/// The problems of one file's links: a missing file, or an anchor its target does not have.
fn broken_links(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut problems = Vec::new();
    for target in links(&text) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (path, anchor) = match target.split_once('#') {
            Some((path, anchor)) => (path, Some(anchor)),
            None => (target.as_str(), None),
        };
        let resolved = if path.is_empty() {
            file.to_path_buf()
        } else {
            file.parent().unwrap().join(path)
        };
        if !resolved.exists() {
            problems.push(format!("{}: `{target}`: no such file", file.display()));
            continue;
        }
        if let Some(anchor) = anchor {
            let page = std::fs::read_to_string(&resolved).unwrap_or_default();
            if !anchors(&page).contains(anchor) {
                problems.push(format!(
                    "{}: `{target}`: no heading has the id `{anchor}`",
                    file.display()
                ));
            }
        }
    }
    problems
}

#[test]
fn every_link_of_the_book_and_the_readme_resolves() {
    let mut files = markdown_files(&root().join("docs/src"));
    assert!(files.len() >= 15, "{files:?}");
    files.push(root().join("README.md"));
    let problems: Vec<String> = files.iter().flat_map(|file| broken_links(file)).collect();
    assert!(problems.is_empty(), "broken links:\n{}", problems.join("\n"));
}

#[test]
fn the_link_checker_finds_a_missing_page_and_a_missing_anchor() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.md"),
        "# Title\n\n## `d360 plan`\n\n## Notes\n## Notes\n",
    )
    .unwrap();
    let b = dir.path().join("b.md");
    std::fs::write(
        &b,
        "[ok](a.md#d360-plan) [ok](a.md#notes-1) [bad](a.md#nope) [bad](c.md)\n```\n[skipped](c.md)\n```\n",
    )
    .unwrap();
    let problems = broken_links(&b);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("`a.md#nope`"), "{problems:?}");
    assert!(problems[1].contains("`c.md`: no such file"), "{problems:?}");
}

#[test]
fn every_chapter_is_in_the_summary() {
    let source = root().join("docs/src");
    let summary = std::fs::read_to_string(source.join("SUMMARY.md")).unwrap();
    let listed: BTreeSet<String> = links(&summary).into_iter().collect();
    for file in markdown_files(&source) {
        let relative = file.strip_prefix(&source).unwrap().to_string_lossy().replace('\\', "/");
        if relative == "SUMMARY.md" {
            continue;
        }
        assert!(listed.contains(&relative), "{relative} is not in docs/src/SUMMARY.md");
    }
}

#[test]
fn the_readme_stays_short_and_keeps_the_two_commands() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(lines <= 220, "README.md has {lines} lines; move detail into the book");
    assert!(readme.contains("cargo run -- apply manifests/ --org local --auto-approve\ncargo test\n"));
}
