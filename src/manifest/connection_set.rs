//! `ConnectionSet`: reading the items (CSV or inline list) and expanding the template.

use crate::model::SmallMap;

use super::checker::{Checker, Item};
use super::raw::ConnectionSetDocument;
use crate::kinds::Connection;

/// Reads the set's items, reporting problems at `spec.items`.
pub(crate) fn items(checker: &mut Checker<'_>, document: &ConnectionSetDocument) -> Vec<Item> {
    let source = &document.spec.items;
    match (&source.from_csv, &source.list) {
        (Some(_), Some(_)) | (None, None) => {
            let diagnostic = checker
                .key_error(&["spec", "items"], "give exactly one of `fromCsv` and `list`")
                .with_help("`items: { fromCsv: inventory/clinics.csv }` or `items: { list: [ {key: a, host: h1} ] }`");
            checker.push(diagnostic);
            Vec::new()
        }
        (Some(csv_path), None) => read_csv(checker, csv_path),
        (None, Some(list)) => list
            .iter()
            .enumerate()
            .map(|(index, columns)| Item {
                columns: columns.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect(),
                label: format!("item [{index}]"),
                source: format!("item [{index}]"),
                uniform: false,
                csv: None,
            })
            .collect(),
    }
}

fn read_csv(checker: &mut Checker<'_>, csv_path: &str) -> Vec<Item> {
    let rel = ["spec", "items", "fromCsv"];
    let relative = checker.text(&rel, csv_path);
    let path = checker.dir.join(&relative);
    let shown = path.display().to_string();
    let mut reader = match csv::ReaderBuilder::new().trim(csv::Trim::All).from_path(&path) {
        Ok(reader) => reader,
        Err(error) => {
            let reason = match error.kind() {
                csv::ErrorKind::Io(io) => d360_wire::files::plain(io),
                _ => error.to_string(),
            };
            let diagnostic = checker
                .error(&rel, format!("cannot read CSV file `{shown}`: {reason}"))
                .with_help("the path is relative to the manifest's folder")
                .with_label("this file");
            checker.push(diagnostic);
            return Vec::new();
        }
    };
    let headers: Vec<String> = match reader.headers() {
        Ok(headers) => headers.iter().map(str::to_owned).collect(),
        Err(error) => {
            let diagnostic = checker.error(&rel, format!("cannot read the header row of `{shown}`: {error}"));
            checker.push(diagnostic);
            return Vec::new();
        }
    };
    let mut items = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, csv::Position::line);
                let columns: SmallMap<String, String> =
                    headers.iter().cloned().zip(record.iter().map(str::to_owned)).collect();
                items.push(Item {
                    columns,
                    label: format!("row {line} of {relative}"),
                    source: format!("`{relative}`"),
                    uniform: true,
                    csv: Some(super::checker::CsvRow {
                        file: shown.clone(),
                        line,
                        headers: headers.clone(),
                    }),
                });
            }
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                let diagnostic = checker
                    .error(&rel, format!("`{shown}` line {line}: {}", csv_reason(&error)))
                    .with_help("every row needs as many values as the header has columns");
                checker.push(diagnostic);
            }
        }
    }
    if items.is_empty() {
        let diagnostic = checker.warning(&rel, format!("`{shown}` has no rows: the set declares no connections"));
        checker.push(diagnostic);
    }
    items
}

fn csv_reason(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("found {len} values where the header has {expected_len} columns")
        }
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_owned(),
        _ => error.to_string(),
    }
}

/// Expands the template for every item.
pub(crate) fn expand(checker: &mut Checker<'_>, document: &ConnectionSetDocument, items: &[Item]) -> Vec<Connection> {
    let template = &document.spec.template;
    let mut connections = Vec::with_capacity(items.len());
    for item in items {
        let mut item_checker = Checker {
            file: checker.file,
            dir: checker.dir,
            root: checker.root,
            text: checker.text,
            prefix: vec![
                super::yaml_tree::Segment::Key("spec".into()),
                super::yaml_tree::Segment::Key("template".into()),
            ],
            item: Some(item),
            sink: checker.sink,
        };
        let mut connection = super::convert_connection::convert(&mut item_checker, &template.metadata, &template.spec);
        // The set's own labels apply to every member; the template's win on conflict.
        for (key, value) in &document.metadata.labels {
            connection.labels.entry(key.clone()).or_insert_with(|| value.clone());
        }
        connections.push(connection);
    }
    connections
}
