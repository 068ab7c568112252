//! `d360 status`'s report: per org, the manifest set its state records as converged, how it
//! stands against the org it promotes from, and a drift summary; rendered as a table for
//! people or versioned JSON. Pure: the command reads the states and the orgs.

use serde::Serialize;

use super::Standing;
use crate::drift;
use crate::state::Converged;

/// The status format this build writes.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// The whole report (`d360 status --format json`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Report {
    pub(crate) format_version: u32,
    /// In the order asked (`--org all`: promotion order).
    pub(crate) orgs: Vec<OrgStatus>,
}

/// One org's line.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrgStatus {
    pub(crate) org: String,
    /// `promoteFrom:` of its profile.
    pub(crate) promote_from: Option<String>,
    /// The last apply that converged the manifest set; `null` when none did, or its state
    /// could not be read (then `stateError` says why).
    pub(crate) converged: Option<Converged>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state_error: Option<String>,
    pub(crate) promotion: Standing,
    pub(crate) drift: DriftStatus,
}

/// What reading the org said about drift.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase", tag = "result")]
pub(crate) enum DriftStatus {
    /// `--offline`: the org was not read.
    NotRead,
    /// The org was read and compared with the manifests and state.
    Read {
        /// Something counts as drift for `drift`'s default `--fail-on` (changed, missing,
        /// not working).
        drifted: bool,
        summary: drift::Summary,
    },
    /// The org, its state or its manifests could not be read.
    Error { error: String },
}

impl DriftStatus {
    /// From a drift report: drifted as `d360 drift` with its default `--fail-on`.
    #[must_use]
    pub(crate) fn of(report: &drift::Report) -> Self {
        DriftStatus::Read {
            drifted: report.fails_on(&[drift::Status::Changed, drift::Status::Missing, drift::Status::Unhealthy]),
            summary: report.summary,
        }
    }
}

impl std::fmt::Display for DriftStatus {
    /// `in sync`, `2 changed, 1 missing`, `not read`, or the error.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DriftStatus::NotRead => f.write_str("not read"),
            DriftStatus::Error { error } => write!(f, "error: {error}"),
            DriftStatus::Read { summary, .. } => {
                let parts: Vec<String> = [
                    (summary.changed, "changed"),
                    (summary.missing, "missing"),
                    (summary.unhealthy, "not working"),
                    (summary.secret_unverified, "credentials unverified"),
                    (summary.unverifiable, "not reported"),
                    (summary.unmanaged, "unmanaged"),
                    (summary.undeclared, "no longer declared"),
                ]
                .into_iter()
                .filter(|(count, _)| *count > 0)
                .map(|(count, what)| format!("{count} {what}"))
                .collect();
                if parts.is_empty() {
                    f.write_str("in sync")
                } else {
                    f.write_str(&parts.join(", "))
                }
            }
        }
    }
}

impl OrgStatus {
    /// Whether anything about this org failed (its state or its drift could not be read).
    #[must_use]
    pub(crate) fn failed(&self) -> bool {
        self.state_error.is_some()
            || matches!(self.drift, DriftStatus::Error { .. })
            || matches!(self.promotion, Standing::Unreadable { .. })
    }

    /// Behind the org it promotes from, or drifted (`--detailed-exitcode`: exit 2).
    #[must_use]
    pub(crate) fn needs_attention(&self) -> bool {
        self.promotion.is_behind() || matches!(self.drift, DriftStatus::Read { drifted: true, .. })
    }

    /// `abc1234 at 2026-12-03T02:50:00Z`, `never`, or why the state could not be read.
    fn applied(&self) -> String {
        if let Some(error) = &self.state_error {
            return format!("state error: {error}");
        }
        match &self.converged {
            Some(converged) => {
                let commit = converged
                    .set
                    .commit
                    .as_ref()
                    .map_or_else(|| "no commit".to_owned(), ToString::to_string);
                format!("{commit} at {}", converged.at)
            }
            None => "never".to_owned(),
        }
    }

    fn digest(&self) -> String {
        self.converged
            .as_ref()
            .map_or_else(|| "—".to_owned(), |converged| converged.set.digest.short().to_owned())
    }
}

/// The table for people: one row per org, columns padded.
#[must_use]
pub(crate) fn render_text(report: &Report) -> String {
    let header = ["ORG", "LAST APPLIED", "DIGEST", "PROMOTION", "DRIFT"].map(str::to_owned);
    let mut rows = vec![header];
    for org in &report.orgs {
        rows.push([
            org.org.clone(),
            org.applied(),
            org.digest(),
            org.promotion.to_string(),
            org.drift.to_string(),
        ]);
    }
    let mut widths = [0usize; 5];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in &rows {
        let mut line = String::new();
        for (index, (cell, width)) in row.iter().zip(widths).enumerate() {
            if index + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(width - cell.chars().count() + 2));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Commit, SetDigest, SetVersion};

    fn org(name: &str, promotion: Standing, drift: DriftStatus) -> OrgStatus {
        OrgStatus {
            org: name.to_owned(),
            promote_from: None,
            converged: Some(Converged {
                set: SetVersion {
                    digest: SetDigest::from_sha256(&[0xab; 32]),
                    commit: Some(Commit {
                        id: "0123456789abcdef0123456789abcdef01234567".to_owned(),
                        dirty: false,
                    }),
                },
                at: "2026-12-03T02:50:00Z".to_owned(),
                d360_version: "0.1.0".to_owned(),
            }),
            state_error: None,
            promotion,
            drift,
        }
    }

    #[test]
    fn the_table_has_a_row_per_org_with_commit_digest_promotion_and_drift() {
        let summary = drift::Summary {
            changed: 2,
            missing: 1,
            in_sync: 3,
            ..drift::Summary::default()
        };
        let mut never = org(
            "prod",
            Standing::Behind {
                from: "staging".to_owned(),
            },
            DriftStatus::NotRead,
        );
        never.converged = None;
        let report = Report {
            format_version: FORMAT_VERSION,
            orgs: vec![
                org("staging", Standing::None, DriftStatus::Read { drifted: true, summary }),
                never,
            ],
        };
        let text = render_text(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("ORG      LAST APPLIED"), "{text}");
        assert!(
            lines[1].starts_with("staging  0123456 at 2026-12-03T02:50:00Z  abababababab  —"),
            "{text}"
        );
        assert!(lines[1].ends_with("2 changed, 1 missing"), "{text}");
        assert!(lines[2].contains("never"), "{text}");
        assert!(lines[2].contains("behind staging"), "{text}");
        assert!(lines[2].ends_with("not read"), "{text}");
        assert!(report.orgs[0].needs_attention() && report.orgs[1].needs_attention());
        assert!(!report.orgs[0].failed());
    }
}
