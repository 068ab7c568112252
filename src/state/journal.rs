//! The local state's journal: while an apply runs, each burst of finished steps is appended
//! to `<state>.journal` as one JSON line per change, fsynced, so persisting progress costs
//! what changed rather than the whole state. The apply compacts it into the state file when
//! it ends; a run that was killed leaves it behind, and the next load replays it. A torn
//! last line (the write the process died in) is dropped: its step never got recorded, and
//! the next plan finds the object by name.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Change, State, StateError};

/// One journal line: a change and the state serial it produced, in the state's lineage.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Line {
    lineage: String,
    serial: u64,
    change: Change,
}

/// The journal beside `state_path`.
#[must_use]
pub(crate) fn path_for(state_path: &Path) -> PathBuf {
    let mut name = state_path.as_os_str().to_os_string();
    name.push(".journal");
    PathBuf::from(name)
}

/// Appends `changes` (already applied to `state`, whose serial each one advanced) and
/// fsyncs. Blocking: run it off the async runtime.
pub(crate) fn append(path: &Path, lineage: &str, first_serial: u64, changes: &[Change]) -> std::io::Result<()> {
    let mut text = String::new();
    for (offset, change) in changes.iter().enumerate() {
        let line = Line {
            lineage: lineage.to_owned(),
            serial: first_serial + offset as u64,
            change: change.clone(),
        };
        text.push_str(&serde_json::to_string(&line).map_err(std::io::Error::other)?);
        text.push('\n');
    }
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_data()
}

/// Replays the journal at `path` onto `state`: lines of its lineage newer than its serial.
pub(crate) fn replay(path: &Path, state: &mut State) -> Result<(), StateError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(StateError::Read {
                path: path.display().to_string(),
                source,
            });
        }
    };
    let lines: Vec<String> = BufReader::new(file)
        .lines()
        .collect::<Result<_, _>>()
        .map_err(|source| StateError::Read {
            path: path.display().to_string(),
            source,
        })?;
    let last = lines.len().saturating_sub(1);
    for (number, text) in lines.iter().enumerate() {
        let line: Line = match serde_json::from_str(text) {
            Ok(line) => line,
            // Only the last line can be torn by a kill; anything else is damage.
            Err(_) if number == last => break,
            Err(error) => {
                return Err(StateError::Corrupt {
                    path: path.display().to_string(),
                    detail: format!("line {}: {error}", number + 1),
                });
            }
        };
        if line.lineage == state.lineage && line.serial > state.serial {
            state.apply(&line.change);
            state.serial = line.serial;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, ResourceKey};
    use crate::state::Managed;

    fn put(name: &str) -> Change {
        Change::Put(Managed {
            kind: Kind::Connection,
            name: name.to_owned(),
            id: format!("id-{name}"),
            scope: Some("AwsRdsMySql".to_owned()),
            spec_digest: String::new(),
            secrets: crate::model::SmallMap::new(),
            prevent_destroy: false,
            updated: String::new(),
            not_kept: Vec::new(),
        })
    }

    #[test]
    fn replay_applies_newer_lines_of_the_lineage_and_drops_a_torn_tail() {
        let dir = std::env::temp_dir().join(format!("d360-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("state.json.journal");
        let mut state = State::empty("org");
        state.serial = 3;
        append(&path, &state.lineage, 3, &[put("Old")]).expect("append");
        append(&path, &state.lineage, 4, &[put("A"), put("B")]).expect("append");
        append(&path, "another-lineage", 6, &[put("Foreign")]).expect("append");
        let remove = Change::Remove(ResourceKey::new(Kind::Connection, "A"));
        append(&path, &state.lineage, 6, &[remove]).expect("append");
        let mut text = std::fs::read_to_string(&path).expect("read");
        text.push_str("{\"lineage\":\"");
        std::fs::write(&path, text).expect("tear the last line");

        replay(&path, &mut state).expect("replay");
        let names: Vec<&str> = state.resources.keys().map(|k| k.name.as_str()).collect();
        assert_eq!(
            names,
            ["B"],
            "serial 3 was already in the state; A was removed; Foreign is another state's"
        );
        assert_eq!(state.serial, 6);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
