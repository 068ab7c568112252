//! Raw data stream specs into `model::DataStream`, with every check a stream needs.

use crate::model::{ResourceSpec, SmallMap};
use std::collections::BTreeSet;

use super::document::{Category, DataLakeObjectSpec, DataStreamSpec, RefreshMode, RefreshSpec};
use super::{DataLakeObject, DataStream, Refresh, SourceField, SourceObject};
use crate::kinds::document::{Checker, Metadata, check_name, convert_lifecycle, did_you_mean};

/// Checks that `field` (at `rel`) is one of the stream's fields.
fn check_field_ref(checker: &mut Checker<'_>, rel: &[&str], field: &str, names: &[&str], role: &str) {
    if !names.contains(&field) {
        let mut diagnostic = checker.error(rel, format!("{role} `{field}` is not one of the stream's fields"));
        diagnostic = match did_you_mean(field, names.iter().copied()) {
            Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
            None => diagnostic.with_help(format!(
                "declare it under `spec.fields`, or use one of: {}",
                names.join(", ")
            )),
        };
        checker.push(diagnostic);
    }
}

fn convert_refresh(checker: &mut Checker<'_>, refresh: &RefreshSpec) -> Refresh {
    let mut hours: Vec<u32> = refresh.hours.clone();
    for (index, hour) in refresh.hours.iter().enumerate() {
        if *hour > 23 {
            let index_text = index.to_string();
            let diagnostic = checker.error(
                &["spec", "refresh", "hours", &index_text],
                format!("hour `{hour}` is not between 0 and 23"),
            );
            checker.push(diagnostic);
        }
    }
    hours.sort_unstable();
    hours.dedup();
    if let Some(day) = refresh.day_of_month
        && !(1..=31).contains(&day)
    {
        let diagnostic = checker.error(
            &["spec", "refresh", "dayOfMonth"],
            format!("day `{day}` is not between 1 and 31"),
        );
        checker.push(diagnostic);
    }
    Refresh {
        mode: refresh.mode.unwrap_or(RefreshMode::UPSERT).into(),
        frequency: refresh.frequency.map(Into::into),
        hours,
        day_of_week: refresh.day_of_week.map(Into::into),
        day_of_month: refresh.day_of_month,
    }
}

/// Converts one data stream.
pub(crate) fn convert(checker: &mut Checker<'_>, metadata: &Metadata, spec: &DataStreamSpec) -> DataStream {
    let name = checker.text(&["metadata", "name"], &metadata.name);
    check_name(checker, &["metadata", "name"], &name, "data stream");
    let label = checker.text(&["spec", "label"], &spec.label);
    if label.trim().is_empty() {
        let diagnostic = checker.error(&["spec", "label"], "the label cannot be empty");
        checker.push(diagnostic);
    }
    let connection = checker.text(&["spec", "connection"], &spec.connection);
    check_name(checker, &["spec", "connection"], &connection, "connection");

    let source = SourceObject {
        database: checker.optional_text(&["spec", "source", "database"], spec.source.database.as_ref()),
        schema: checker.optional_text(&["spec", "source", "schema"], spec.source.schema.as_ref()),
        object: checker.text(&["spec", "source", "object"], &spec.source.object),
    };
    let fields = fields(checker, spec);
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let data_lake_object = data_lake_object(checker, &spec.data_lake_object, &name, &names);
    let refresh = spec.refresh.as_ref().map(|refresh| convert_refresh(checker, refresh));
    let lifecycle = convert_lifecycle(checker, spec.lifecycle.as_ref(), &DataStream::FIELDS.ignorable());
    DataStream {
        name,
        labels: metadata.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        label,
        connection,
        source,
        data_lake_object,
        fields,
        refresh,
        lifecycle,
        no_secrets: SmallMap::new(),
    }
}

/// `spec.fields`: at least one, each an API name, none twice.
fn fields(checker: &mut Checker<'_>, spec: &DataStreamSpec) -> Vec<SourceField> {
    let mut fields = Vec::with_capacity(spec.fields.len());
    let mut seen = BTreeSet::new();
    for (index, field) in spec.fields.iter().enumerate() {
        let index_text = index.to_string();
        let field_name = checker.text(&["spec", "fields", &index_text, "name"], &field.name);
        check_name(checker, &["spec", "fields", &index_text, "name"], &field_name, "field");
        if !seen.insert(field_name.clone()) {
            let diagnostic = checker
                .error(
                    &["spec", "fields", &index_text, "name"],
                    format!("field `{field_name}` is declared twice"),
                )
                .with_help("remove one of the two declarations");
            checker.push(diagnostic);
        }
        fields.push(SourceField {
            name: field_name,
            field_type: field.field_type.into(),
        });
    }
    if spec.fields.is_empty() {
        let diagnostic = checker.error(&["spec", "fields"], "a data stream needs at least one field");
        checker.push(diagnostic);
    }
    fields
}

/// `spec.dataLakeObject.name`, ending in `__dll`; `<stream name>__dll` when left out.
fn dlo_name(checker: &mut Checker<'_>, dlo: &DataLakeObjectSpec, name: &str) -> String {
    match &dlo.name {
        Some(raw) => {
            let dlo_name = checker.text(&["spec", "dataLakeObject", "name"], raw);
            if let Some(base) = dlo_name.strip_suffix("__dll") {
                check_name(checker, &["spec", "dataLakeObject", "name"], base, "data lake object");
            } else {
                let diagnostic = checker
                    .error(
                        &["spec", "dataLakeObject", "name"],
                        format!("data lake object name `{dlo_name}` must end in `__dll`"),
                    )
                    .with_help(format!(
                        "write `{dlo_name}__dll`, or leave the name out for `{name}__dll`"
                    ));
                checker.push(diagnostic);
            }
            dlo_name
        }
        None => DataStream::default_dlo_name(name),
    }
}

/// `spec.dataLakeObject`: its fields are among the stream's `names`; an `Engagement` object
/// has an event time field.
fn data_lake_object(checker: &mut Checker<'_>, dlo: &DataLakeObjectSpec, name: &str, names: &[&str]) -> DataLakeObject {
    let dlo_name = dlo_name(checker, dlo, name);
    let primary_key = checker.text(&["spec", "dataLakeObject", "primaryKey"], &dlo.primary_key);
    if !names.is_empty() {
        check_field_ref(
            checker,
            &["spec", "dataLakeObject", "primaryKey"],
            &primary_key,
            names,
            "primary key",
        );
    }
    let record_modified_field = checker.optional_text(
        &["spec", "dataLakeObject", "recordModifiedField"],
        dlo.record_modified_field.as_ref(),
    );
    if let Some(field) = &record_modified_field {
        check_field_ref(
            checker,
            &["spec", "dataLakeObject", "recordModifiedField"],
            field,
            names,
            "record modified field",
        );
    }
    let event_time_field = checker.optional_text(
        &["spec", "dataLakeObject", "eventTimeField"],
        dlo.event_time_field.as_ref(),
    );
    if let Some(field) = &event_time_field {
        check_field_ref(
            checker,
            &["spec", "dataLakeObject", "eventTimeField"],
            field,
            names,
            "event time field",
        );
    }
    if dlo.category == Category::Engagement && event_time_field.is_none() {
        let diagnostic = checker
            .key_error(
                &["spec", "dataLakeObject", "category"],
                "an `Engagement` data lake object needs `eventTimeField`",
            )
            .with_help("add `eventTimeField: <a DateTime field>` under `spec.dataLakeObject`");
        checker.push(diagnostic);
    }
    DataLakeObject {
        name: dlo_name,
        label: checker.optional_text(&["spec", "dataLakeObject", "label"], dlo.label.as_ref()),
        category: dlo.category.into(),
        primary_key,
        record_modified_field,
        event_time_field,
        dataspace: checker
            .optional_text(&["spec", "dataLakeObject", "dataspace"], dlo.dataspace.as_ref())
            .unwrap_or_else(|| "default".to_owned()),
    }
}
