//! `ConnectionSet`: reading the items (CSV, inline list or AWS RDS) and expanding the template.

use std::collections::BTreeMap;

use crate::aws::rds::{Database, Discovery, Filter, Query};
use crate::model::SmallMap;

use super::Connection;
use super::set_document::{AwsRdsSource, ConnectionSetDocument};
use crate::kinds::ReadFile;
use crate::kinds::document::{Checker, CsvRow, Item, Segment};

/// The `fromAwsRds` inventories a load may use. The manifest stage does no network I/O:
/// the caller lists RDS (for the queries an offline load reports) and loads again.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) enum Inventory<'a> {
    /// `validate`: each `fromAwsRds` template is checked against one example database and
    /// declares nothing.
    #[default]
    Offline,
    /// What RDS answered, by query.
    Fetched(&'a BTreeMap<Query, Discovery>),
}

/// Where one set's items came from, for `render` and `plan` to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AwsItems {
    pub(crate) set: String,
    pub(crate) query: Query,
    /// `None` offline.
    pub(crate) found: Option<Found>,
}

/// What a fetched inventory held for one set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) region: String,
    pub(crate) items: usize,
    pub(crate) listed: usize,
    pub(crate) pages: usize,
}

impl std::fmt::Display for AwsItems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.found {
            None => write!(
                f,
                "ConnectionSet `{}`: items from AWS RDS ({}), listed when planned",
                self.set, self.query
            ),
            Some(found) => {
                let mut query = self.query.clone();
                query.access.region = Some(found.region.clone());
                write!(
                    f,
                    "ConnectionSet `{}`: {} item{} from AWS RDS ({query}; {} database{} listed in {} page{})",
                    self.set,
                    found.items,
                    if found.items == 1 { "" } else { "s" },
                    found.listed,
                    if found.listed == 1 { "" } else { "s" },
                    found.pages,
                    if found.pages == 1 { "" } else { "s" },
                )
            }
        }
    }
}

/// The set's items and, for `fromAwsRds`, where they came from.
#[expect(
    clippy::struct_field_names,
    reason = "`items` are the set's items, the other fields where they came from"
)]
pub(crate) struct Items {
    pub(crate) items: Vec<Item>,
    pub(crate) aws: Option<AwsItems>,
    /// The CSV file read, for the digest of the manifest set.
    pub(crate) read: Option<ReadFile>,
}

/// Reads the set's items, reporting problems at `spec.items`.
pub(crate) fn items(checker: &mut Checker<'_>, document: &ConnectionSetDocument, inventory: Inventory<'_>) -> Items {
    let source = &document.spec.items;
    let plain = |items| Items {
        items,
        aws: None,
        read: None,
    };
    match (&source.from_csv, &source.list, &source.from_aws_rds) {
        (Some(csv_path), None, None) => {
            let (items, read) = read_csv(checker, csv_path);
            Items { items, aws: None, read }
        }
        (None, Some(list), None) => plain(
            list.iter()
                .enumerate()
                .map(|(index, columns)| Item {
                    columns: columns.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect(),
                    label: format!("item [{index}]"),
                    source: format!("item [{index}]"),
                    uniform: false,
                    csv: None,
                    example: false,
                    aws_region: None,
                })
                .collect(),
        ),
        (None, None, Some(aws)) => aws_items(checker, document, aws, inventory),
        _ => {
            let diagnostic = checker
                .key_error(&["spec", "items"], "give exactly one of `fromCsv`, `list` and `fromAwsRds`")
                .with_help("`items: { fromCsv: inventory/clinics.csv }`, `items: { list: [ {key: a, host: h1} ] }` or `items: { fromAwsRds: { region: eu-west-1, tags: { data360: ingest } } }`");
            checker.push(diagnostic);
            plain(Vec::new())
        }
    }
}

/// The query a `fromAwsRds` source asks, its strings interpolated (`${env:…}` allowed).
fn query(checker: &mut Checker<'_>, source: &AwsRdsSource) -> Query {
    let rel = |field: &'static str| ["spec", "items", "fromAwsRds", field];
    let region = checker.optional_text(&rel("region"), source.region.as_ref());
    let profile = checker.optional_text(&rel("profile"), source.profile.as_ref());
    let mut engines = Vec::with_capacity(source.engines.len());
    for (index, engine) in source.engines.iter().enumerate() {
        let index = index.to_string();
        engines.push(checker.text(&["spec", "items", "fromAwsRds", "engines", &index], engine));
    }
    let mut tags = BTreeMap::new();
    for (key, value) in &source.tags {
        let value = checker.text(&["spec", "items", "fromAwsRds", "tags", key], value);
        tags.insert(key.clone(), value);
    }
    Query {
        access: crate::aws::Access { region, profile },
        filter: Filter { engines, tags },
    }
}

fn aws_items(
    checker: &mut Checker<'_>,
    document: &ConnectionSetDocument,
    source: &AwsRdsSource,
    inventory: Inventory<'_>,
) -> Items {
    let query = query(checker, source);
    let set = document.metadata.name.clone();
    match inventory {
        Inventory::Offline => Items {
            items: vec![example_item(&query)],
            aws: Some(AwsItems {
                set,
                query,
                found: None,
            }),
            read: None,
        },
        Inventory::Fetched(fetched) => {
            let Some(discovery) = fetched.get(&query) else {
                let diagnostic = checker.error(
                    &["spec", "items", "fromAwsRds"],
                    format!("the AWS RDS inventory ({query}) was not listed"),
                );
                checker.push(diagnostic);
                return Items {
                    items: Vec::new(),
                    aws: None,
                    read: None,
                };
            };
            let items: Vec<Item> = discovery
                .databases
                .iter()
                .map(|database| database_item(database, &discovery.region))
                .collect();
            if items.is_empty() {
                let diagnostic = checker.warning(
                    &["spec", "items", "fromAwsRds"],
                    format!("no AWS RDS database matches ({query}): the set declares no connections"),
                );
                checker.push(diagnostic);
            }
            let found = Found {
                region: discovery.region.clone(),
                items: items.len(),
                listed: discovery.listed,
                pages: discovery.pages,
            };
            Items {
                items,
                aws: Some(AwsItems {
                    set,
                    query,
                    found: Some(found),
                }),
                read: None,
            }
        }
    }
}

/// The connector type for an RDS engine, when d360 knows one.
#[must_use]
pub(crate) fn connector_type(engine: &str) -> Option<&'static str> {
    match engine {
        "mysql" | "aurora-mysql" | "aurora" => Some("AwsRdsMySql"),
        "postgres" | "aurora-postgresql" => Some("AwsRdsPostgres"),
        _ if engine.starts_with("sqlserver-") => Some("AwsRdsSqlServer"),
        _ => None,
    }
}

/// One database's columns.
fn database_item(database: &Database, region: &str) -> Item {
    let mut columns: SmallMap<String, String> = SmallMap::new();
    columns.insert("identifier".to_owned(), database.identifier.clone());
    columns.insert("apiName".to_owned(), database.identifier.replace('-', "_"));
    columns.insert("host".to_owned(), database.host.clone());
    columns.insert("port".to_owned(), database.port.clone());
    columns.insert("engine".to_owned(), database.engine.clone());
    columns.insert("database".to_owned(), database.db_name.clone());
    columns.insert("resourceId".to_owned(), database.resource_id.clone());
    columns.insert("arn".to_owned(), database.arn.clone());
    if let Some(connector) = connector_type(&database.engine) {
        columns.insert("connectorType".to_owned(), connector.to_owned());
    }
    for (key, value) in &database.tags {
        columns.insert(format!("tag.{key}"), value.clone());
    }
    let label = format!("AWS RDS `{}`", database.identifier);
    Item {
        columns,
        source: label.clone(),
        label,
        uniform: false,
        csv: None,
        example: false,
        aws_region: Some(region.to_owned()),
    }
}

/// The database an offline check expands the template with: every column, plausible values.
fn example_item(query: &Query) -> Item {
    let engine = query
        .filter
        .engines
        .first()
        .map_or("mysql", |engine| {
            if engine.ends_with('*') {
                "sqlserver-se"
            } else {
                engine.as_str()
            }
        })
        .to_owned();
    let port = match connector_type(&engine) {
        Some("AwsRdsPostgres") => "5432",
        Some("AwsRdsSqlServer") => "1433",
        _ => "3306",
    };
    let region = query.access.region.clone().unwrap_or_else(|| "us-east-1".to_owned());
    let database = Database {
        identifier: "example-db".to_owned(),
        host: format!("example-db.abcdefghijkl.{region}.rds.amazonaws.com"),
        port: port.to_owned(),
        engine,
        db_name: "example".to_owned(),
        resource_id: "db-EXAMPLE".to_owned(),
        arn: format!("arn:aws:rds:{region}:123456789012:db:example-db"),
        tags: query.filter.tags.clone(),
    };
    let mut item = database_item(&database, &region);
    "AWS RDS example database".clone_into(&mut item.label);
    item.label.clone_into(&mut item.source);
    item.example = true;
    item.aws_region.clone_from(&query.access.region);
    item
}

/// The rows of the set's CSV file, and the file as read (its bytes' digest) for the digest of
/// the manifest set. The file is read once, then parsed from memory.
fn read_csv(checker: &mut Checker<'_>, csv_path: &str) -> (Vec<Item>, Option<ReadFile>) {
    let rel = ["spec", "items", "fromCsv"];
    let relative = checker.text(&rel, csv_path);
    let path = checker.dir.join(&relative);
    let shown = path.display().to_string();
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) => {
            let reason = d360_wire::files::plain(&error);
            let diagnostic = checker
                .error(&rel, format!("cannot read CSV file `{shown}`: {reason}"))
                .with_help("the path is relative to the manifest's folder")
                .with_label("this file");
            checker.push(diagnostic);
            return (Vec::new(), None);
        }
    };
    let read = Some(ReadFile::new(path.clone(), &bytes));
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let headers: Vec<String> = match reader.headers() {
        Ok(headers) => headers.iter().map(str::to_owned).collect(),
        Err(error) => {
            let diagnostic = checker.error(&rel, format!("cannot read the header row of `{shown}`: {error}"));
            checker.push(diagnostic);
            return (Vec::new(), read);
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
                    csv: Some(CsvRow {
                        file: shown.clone(),
                        line,
                        headers: headers.clone(),
                    }),
                    example: false,
                    aws_region: None,
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
    (items, read)
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

/// Where an item goes by its `orgs` column (`;`-separated org names; absent or empty: every
/// org). An unknown name is reported with the cell it is in.
pub(crate) fn item_placement(checker: &mut Checker<'_>, item: &Item) -> crate::kinds::document::Placement {
    let Some(cell) = item.columns.get("orgs") else {
        return checker.org.placement(None);
    };
    let orgs: Vec<String> = cell
        .split(';')
        .map(str::trim)
        .filter(|org| !org.is_empty())
        .map(str::to_owned)
        .collect();
    if orgs.is_empty() {
        return checker.org.placement(None);
    }
    let place = match &item.csv {
        Some(csv) => {
            let column = csv
                .headers
                .iter()
                .position(|h| h == "orgs")
                .map_or(1, |index| index + 1);
            format!("{}:{}:{column} (column `orgs`)", csv.file, csv.line)
        }
        None => format!("{} (`orgs`)", item.label),
    };
    for org in &orgs {
        if let Some((message, help)) = checker.org.unknown_org(org) {
            let diagnostic = checker
                .error(&["spec", "items"], format!("{place}: {message}"))
                .with_help(help);
            checker.push(diagnostic);
        }
    }
    checker.org.placement(Some(&orgs))
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
            prefix: vec![Segment::Key("spec".into()), Segment::Key("template".into())],
            item: Some(item),
            org: checker.org,
            sink: checker.sink,
        };
        let mut connection = super::convert::convert(&mut item_checker, &template.metadata, &template.spec);
        // The set's own labels apply to every member; the template's win on conflict.
        for (key, value) in &document.metadata.labels {
            connection.labels.entry(key.clone()).or_insert_with(|| value.clone());
        }
        connections.push(connection);
    }
    connections
}
