//! One YAML document: its `apiVersion` and `kind`, and reading it into its kind's document
//! type with every problem reported at its place.

use std::collections::HashSet;

use serde::de::DeserializeOwned;

use super::checker::Checker;
use super::common_checks::check_name;
use super::diagnostic::did_you_mean;
use super::problem::ProblemKind;
use super::tree_deserializer;
use super::yaml_tree::{Node, Segment};

/// Reads `apiVersion` and `kind` from the position tree, reporting problems: the kind, one of
/// `kinds` (the first is named in the help for a document that is not a mapping).
pub(crate) fn kind_of(checker: &mut Checker<'_>, kinds: &[&'static str]) -> Option<&'static str> {
    let root = checker.root;
    if !matches!(root, Node::Map { .. }) {
        let diagnostic = checker
            .error(&[], "a d360 document must be a mapping")
            .with_help(start_help(kinds));
        checker.push(diagnostic);
        return None;
    }
    let mut ok = true;
    match root.get("apiVersion").and_then(Node::as_str) {
        Some("d360/v1") => {}
        Some(other) => {
            let diagnostic = checker
                .error(&["apiVersion"], format!("unsupported apiVersion `{other}`"))
                .with_help("use `apiVersion: d360/v1`")
                .with_label("not a d360 version");
            checker.push(diagnostic);
            ok = false;
        }
        None => {
            let diagnostic = checker
                .key_error(&[], "missing `apiVersion`")
                .with_help("add `apiVersion: d360/v1`");
            checker.push(diagnostic);
            ok = false;
        }
    }
    let kind = match root.get("kind").and_then(Node::as_str) {
        Some(word) if kinds.contains(&word) => kinds.iter().copied().find(|kind| *kind == word),
        Some(other) => {
            let help = match did_you_mean(other, kinds.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("kinds are: {}", kinds.join(", ")),
            };
            let diagnostic = checker
                .error(&["kind"], format!("unknown kind `{other}`"))
                .with_help(help)
                .with_label("unknown kind");
            checker.push(diagnostic);
            None
        }
        None => {
            let diagnostic = checker
                .key_error(&[], "missing `kind`")
                .with_help(format!("add `kind:` with one of {}", kinds.join(", ")));
            checker.push(diagnostic);
            None
        }
    };
    if ok { kind } else { None }
}

/// `start it with `apiVersion: d360/v1` and `kind: First` (or Second, Third)`.
fn start_help(kinds: &[&str]) -> String {
    let (first, others) = kinds
        .split_first()
        .map_or(("", &[][..]), |(first, others)| (*first, others));
    if others.is_empty() {
        format!("start it with `apiVersion: d360/v1` and `kind: {first}`")
    } else {
        format!(
            "start it with `apiVersion: d360/v1` and `kind: {first}` (or {})",
            others.join(", ")
        )
    }
}

/// Reads the document into `T` from its tree, reporting every problem with its place. `None`
/// when the document does not fit (its name is still checked).
///
/// Serde stops at a document's first problem, so after each one the document is read again
/// with the problem's place in `recovery` (see `tree_deserializer`), until it reads through.
/// A clean document is read exactly once.
pub(crate) fn read<T: DeserializeOwned>(checker: &mut Checker<'_>) -> Option<T> {
    let mut recovery: HashSet<Vec<Segment>> = HashSet::new();
    let mut problems: Vec<(ProblemKind, Vec<Segment>)> = Vec::new();
    let mut usable = true;
    for _ in 0..MAX_READS {
        let (result, duplicate) = tree_deserializer::from_node::<T>(checker.root, &recovery);
        usable &= !duplicate;
        let problem = match result {
            Ok(value) if usable && problems.is_empty() => return Some(value),
            Ok(_) => break,
            Err(problem) => problem,
        };
        usable = false;
        let Some(place) = problem.place else {
            // Every node places what leaves it; an unplaced problem is about the document.
            problems.push((problem.kind, Vec::new()));
            break;
        };
        if !place.reported
            && !problems
                .iter()
                .any(|(kind, path)| *kind == problem.kind && *path == place.path)
        {
            problems.push((problem.kind, place.path));
        }
        // A place already replaced that still fails: replace its parent instead.
        let mut at = place.recover_at;
        while recovery.contains(&at) && at.pop().is_some() {}
        if at.is_empty() {
            break;
        }
        recovery.insert(at);
    }
    report(checker, &problems);
    None
}

/// [`read`] for a document whose `metadata.name` is the object's API name: when the document
/// is unusable, its name is still checked (unless it is interpolated).
pub(crate) fn read_named<T: DeserializeOwned>(checker: &mut Checker<'_>) -> Option<T> {
    let value = read::<T>(checker);
    if value.is_none() {
        check_unread_name(checker);
    }
    value
}

fn check_unread_name(checker: &mut Checker<'_>) {
    if let Some(name) = checker
        .root
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
    {
        let name = name.to_owned();
        if !name.contains("${") {
            check_name(checker, &["metadata", "name"], &name, "resource");
        }
    }
}

/// Reads of one document before giving up on finding more of its problems.
const MAX_READS: usize = 64;

fn report(checker: &mut Checker<'_>, problems: &[(ProblemKind, Vec<Segment>)]) {
    for (kind, path) in problems {
        // `labl` for a missing `label`: the unknown field's "did you mean" says it all.
        if let ProblemKind::MissingField(field) = kind {
            let explained = problems
                .iter()
                .any(|(other, other_path)| other_path == path && other.suggestion() == Some(*field));
            if explained {
                continue;
            }
        }
        if let Some(diagnostic) = kind.diagnostic(path, checker) {
            checker.push(diagnostic);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::kinds::connection::document::ConnectionDocument;
    use crate::kinds::data_stream::document::DataStreamDocument;
    use crate::kinds::document::{Sink, yaml_tree};

    const CONNECTION: &str = "apiVersion: d360/v1
kind: Connection
metadata: { name: Good_One }
spec:
  connectorType: AwsRdsMySql
  label: Good
  parameters: { jdbc_connection_url: 'jdbc:mysql://h:3306', DATABASE: d }
  credentials: { user: { fromEnv: U }, password: { fromEnv: P } }
";

    const STREAM: &str = "apiVersion: d360/v1
kind: DataStream
metadata: { name: S }
spec:
  label: S
  connection: C
  source: { object: patients }
  dataLakeObject: { category: Profile, primaryKey: id }
  fields: [ { name: id, type: Text } ]
  refresh: { mode: UPSERT, hours: [2] }
";

    /// Reads the first document of `text` as `T`: the value if usable, and every diagnostic
    /// as `line:column path: message (help)`.
    fn read_text<T: DeserializeOwned>(text: &str) -> (Option<T>, Vec<String>) {
        let tree = yaml_tree::parse(text).expect("valid YAML");
        let mut sink = Sink::default();
        let mut checker = Checker {
            file: Path::new("m.yaml"),
            dir: Path::new("."),
            root: &tree.documents[0].root,
            text,
            prefix: Vec::new(),
            item: None,
            org: &super::super::OrgValues::default(),
            sink: &mut sink,
        };
        let value = read::<T>(&mut checker);
        let lines = sink
            .diagnostics
            .items
            .iter()
            .map(|d| {
                let help = d.help.as_ref().map(|h| format!(" (help: {h})"));
                format!(
                    "{}:{} {}: {}{}",
                    d.pos.line,
                    d.pos.column,
                    d.path,
                    d.message,
                    help.unwrap_or_default()
                )
            })
            .collect();
        (value, lines)
    }

    /// `base` with each `(from, to)` replaced once; every replacement must apply.
    #[track_caller]
    fn edited(base: &str, edits: &[(&str, &str)]) -> String {
        let mut text = base.to_owned();
        for (from, to) in edits {
            assert!(text.contains(from), "`{from}` is not in the document");
            text = text.replacen(from, to, 1);
        }
        text
    }

    #[track_caller]
    fn check_connection(edits: &[(&str, &str)], expected: &[&str]) -> Option<ConnectionDocument> {
        let (value, lines) = read_text::<ConnectionDocument>(&edited(CONNECTION, edits));
        assert_eq!(lines, expected, "{edits:?}");
        assert_eq!(
            value.is_some(),
            expected.is_empty(),
            "a document is usable exactly when it has no problem"
        );
        value
    }

    #[track_caller]
    fn check_stream(edits: &[(&str, &str)], expected: &[&str]) -> Option<DataStreamDocument> {
        let (value, lines) = read_text::<DataStreamDocument>(&edited(STREAM, edits));
        assert_eq!(lines, expected, "{edits:?}");
        assert_eq!(
            value.is_some(),
            expected.is_empty(),
            "a document is usable exactly when it has no problem"
        );
        value
    }

    #[test]
    fn clean_documents_read_through() {
        let connection = check_connection(&[], &[]).expect("usable");
        assert_eq!(connection.spec.label, "Good");
        let stream = check_stream(&[], &[]).expect("usable");
        assert_eq!(stream.spec.refresh.map(|r| r.hours), Some(vec![2]));
    }

    #[test]
    fn unknown_fields_suggest_the_field_meant() {
        // The missing `label` is not reported again: the suggestion already names it.
        check_connection(
            &[("  label: Good", "  labl: Good")],
            &["6:3 spec.labl: unknown field `labl` (help: did you mean `label`?)"],
        );
        check_connection(
            &[("  label: Good", "  label: Good\n  colour: red")],
            &[
                "7:3 spec.colour: unknown field `colour` (help: fields here are: connectorType, label, method, parameters, credentials, lifecycle)",
            ],
        );
        check_connection(
            &[("fromEnv: U", "fromEnvv: U")],
            &["8:26 spec.credentials.user.fromEnvv: unknown field `fromEnvv` (help: did you mean `fromEnv`?)"],
        );
    }

    #[test]
    fn missing_fields_name_where_to_add_them() {
        check_connection(
            &[("  label: Good\n", "")],
            &["4:1 spec.label: missing required field `label` (help: add `label:` under `spec`)"],
        );
        check_stream(
            &[("category: Profile, ", "")],
            &[
                "8:3 spec.dataLakeObject.category: missing required field `category` (help: add `category:` under `spec.dataLakeObject`)",
            ],
        );
        let (_, lines) =
            read_text::<ConnectionDocument>("apiVersion: d360/v1\nkind: Connection\nmetadata: { name: X }\n");
        assert_eq!(
            lines,
            ["1:1 spec: missing required field `spec` (help: add `spec:` under the document)"]
        );
    }

    #[test]
    fn wrong_types_say_what_was_found() {
        check_connection(
            &[("label: Good", "label: [1, 2]")],
            &["6:10 spec.label: invalid type: sequence, expected a string"],
        );
        check_connection(
            &[("metadata: { name: Good_One }", "metadata: [Good_One]")],
            &["3:11 metadata: invalid type: sequence, expected struct Metadata"],
        );
        check_stream(
            &[("hours: [2]", "hours: [2, -1, x, '3']")],
            &[
                "10:39 spec.refresh.hours[1]: invalid type: integer `-1`, expected u32",
                "10:43 spec.refresh.hours[2]: invalid type: string \"x\", expected u32",
                "10:46 spec.refresh.hours[3]: invalid type: string \"3\", expected u32",
            ],
        );
        check_stream(
            &[("hours: [2]", "hours: [2], dayOfMonth: 99999999999")],
            &["10:52 spec.refresh.dayOfMonth: invalid value: integer `99999999999`, expected u32"],
        );
        check_stream(
            &[("source: { object: patients }", "source: ~")],
            &["7:11 spec.source: invalid type: unit value, expected struct SourceSpec"],
        );
        check_connection(
            &[("DATABASE: d", "DATABASE: ~")],
            &["7:71 spec.parameters.DATABASE: invalid type: unit value, expected a string, number or boolean"],
        );
    }

    #[test]
    fn enum_values_suggest_the_value_meant() {
        check_connection(
            &[("  label: Good", "  label: Good\n  method: Ingres")],
            &["7:11 spec.method: `Ingres` is not an allowed value (help: did you mean `Ingress`?)"],
        );
        check_stream(
            &[("type: Text", "type: Txt")],
            &["9:31 spec.fields[0].type: `Txt` is not an allowed value (help: did you mean `Text`?)"],
        );
        check_stream(
            &[("category: Profile", "category: Nope")],
            &[
                "8:31 spec.dataLakeObject.category: `Nope` is not an allowed value (help: allowed values: Profile, Engagement, Other)",
            ],
        );
        check_stream(
            &[("mode: UPSERT", "mode: { a: b }")],
            &[
                "10:20 spec.refresh.mode: invalid type: map, expected one of `UPSERT`, `TOTAL_REPLACE`, `INCREMENTAL`, `REPLACE`, `NEAR_REAL_TIME_INCREMENTAL`, `PARTIAL_UPDATE`",
            ],
        );
    }

    #[test]
    fn literal_secrets_are_refused_without_their_value() {
        for literal in ["hunter2", "'hunter2'", "12345", "true", "[hunter2]"] {
            let (value, lines) = read_text::<ConnectionDocument>(&edited(CONNECTION, &[("{ fromEnv: P }", literal)]));
            assert!(value.is_none());
            assert_eq!(
                lines,
                [
                    "8:40 spec.credentials.password: a literal secret value is not allowed for credential `password` (help: write `password: { fromEnv: VARIABLE }` or `password: { fromFile: path }`; d360 never keeps secret values in manifests)"
                ],
                "{literal}"
            );
        }
        check_connection(
            &[("{ fromEnv: P }", "{ fromEnv: P, fromFile: p }")],
            &[
                "8:50 spec.credentials.password: give exactly one of `fromEnv`, `fromFile`, `fromAwsSecret` and `fromOrg`",
            ],
        );
        check_connection(&[("{ fromEnv: P }", "{ fromEnv: hunter2-value }")], &[]);
        let (_, lines) =
            read_text::<ConnectionDocument>(&edited(CONNECTION, &[("{ fromEnv: P }", "{ fromEnv: [x] }")]));
        assert_eq!(
            lines,
            ["8:61 spec.credentials.password.fromEnv: invalid type: sequence, expected a string"]
        );
        let (_, lines) = read_text::<ConnectionDocument>(&edited(
            CONNECTION,
            &[("{ fromEnv: P }", "{ fromEnv: P, fromFile: 'hunter2' }")],
        ));
        assert!(lines.iter().all(|line| !line.contains("hunter2")), "{lines:?}");
    }

    #[test]
    fn every_problem_of_a_document_is_reported_at_once() {
        check_connection(
            &[
                (
                    "metadata: { name: Good_One }",
                    "metadata: { name: Good_One, colour: red }",
                ),
                ("  label: Good", "  labl: Good\n  method: Sideways"),
                ("password: { fromEnv: P }", "password: hunter2"),
            ],
            &[
                "3:29 metadata.colour: unknown field `colour` (help: fields here are: name, labels, orgs)",
                "6:3 spec.labl: unknown field `labl` (help: did you mean `label`?)",
                "7:11 spec.method: `Sideways` is not an allowed value (help: allowed values: Ingress, Egress)",
                "9:40 spec.credentials.password: a literal secret value is not allowed for credential `password` (help: write `password: { fromEnv: VARIABLE }` or `password: { fromFile: path }`; d360 never keeps secret values in manifests)",
            ],
        );
        check_stream(
            &[
                (
                    "{ name: id, type: Text }",
                    "{ name: id, type: Txt }, { nam: x, type: Text }",
                ),
                ("object: patients", "object: [patients]"),
            ],
            &[
                "7:21 spec.source.object: invalid type: sequence, expected a string",
                "9:31 spec.fields[0].type: `Txt` is not an allowed value (help: did you mean `Text`?)",
                "9:40 spec.fields[1].nam: unknown field `nam` (help: did you mean `name`?)",
            ],
        );
    }

    #[test]
    fn scalars_mean_what_yaml_says() {
        let connection = check_connection(
            &[
                ("label: Good", "label: 123"),
                (
                    "DATABASE: d",
                    "DATABASE: 3306, port: 1.50, ssl: true, quoted: '007', hex: 0x1f",
                ),
            ],
            &[],
        )
        .expect("usable");
        assert_eq!(connection.spec.label, "123");
        let values: Vec<(&str, &str)> = connection
            .spec
            .parameters
            .iter()
            .map(|(name, value)| (name.as_str(), value.0.as_str()))
            .collect();
        assert_eq!(
            values,
            [
                ("DATABASE", "3306"),
                ("hex", "31"),
                ("jdbc_connection_url", "jdbc:mysql://h:3306"),
                ("port", "1.5"),
                ("quoted", "007"),
                ("ssl", "true"),
            ]
        );
        let stream = check_stream(
            &[
                ("hours: [2]", "hours:"),
                ("{ object: patients }", "{ object: patients, database: ~ }"),
            ],
            &[],
        )
        .expect("usable");
        assert_eq!(stream.spec.refresh.map(|r| r.hours), Some(Vec::new()));
        assert_eq!(stream.spec.source.database, None);
    }

    #[test]
    fn aliases_read_as_their_anchor() {
        let connection = check_connection(
            &[("label: Good", "label: &l Good"), ("DATABASE: d", "DATABASE: *l")],
            &[],
        )
        .expect("usable");
        assert_eq!(
            connection.spec.parameters.get("DATABASE").map(|v| v.0.as_str()),
            Some("Good")
        );
    }

    #[test]
    fn duplicate_struct_keys_make_the_document_unusable_without_a_second_report() {
        let (value, lines) = read_text::<ConnectionDocument>(&edited(
            CONNECTION,
            &[("  label: Good\n", "  label: Good\n  label: Again\n")],
        ));
        assert!(value.is_none());
        assert_eq!(lines, Vec::<String>::new(), "the tree reports duplicate keys");
    }
}
