//! Data streams on the wire: the create and PATCH bodies d360 sends, and a live answer in
//! model terms (normalised as `diff` expects: hours sorted, server-only fields dropped).

use crate::model::SmallMap;

use super::spec::{DataLakeObject, DataStream, Refresh, SourceField, SourceObject};
use crate::kinds::{LiveObject, Resource, Unreported};
use crate::model::Lifecycle;
use d360_wire::shapes::{
    AdvancedAttributes, ConnectorDetails, DataStreamInput, DataStreamOutput, DataStreamPatch, DataspaceRef,
    DloFieldInput, DloFieldOutput, DloInput, DloOutput, FrequencyWire, Mapping, RefreshConfig, SourceFieldWire,
    StreamConnectorInfo,
};
use d360_wire::values::{FieldType, Reported, UnknownValue};

/// The `datastreamType` d360 creates: streams over connector-framework connections (RDS…).
pub(crate) const STREAM_TYPE: &str = "CONNECTORSFRAMEWORK";

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// A reported enumerated value, or `path` recorded as not reported (the wire reads a missing
/// one as the empty unknown value).
fn reported<T: d360_wire::values::Word>(unreported: &mut Unreported, path: &str, value: &Reported<T>) -> Reported<T> {
    if value.is_empty() {
        unreported.note(path);
    }
    value.clone()
}

/// The record id: `recordId` (the one the spec requires), else `id`; empty when neither.
fn record_id(output: &DataStreamOutput) -> String {
    match output.record_id.as_deref() {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => output.id.clone(),
    }
}

/// The declared fields of a live stream with their types: the source fields with each DLO
/// field's type (a source field's `datatype` has only four values; the DLO field keeps the
/// declared one, Email, Boolean...), or the DLO's fields when the answer has no source
/// fields. No list at all, or a field without a type, is recorded as not reported.
fn live_fields(
    output: &DataStreamOutput,
    dlo_fields: &[DloFieldOutput],
    unreported: &mut Unreported,
) -> Vec<SourceField> {
    let typed = |name: &str, source_type: Option<&Reported<FieldType>>| {
        dlo_fields
            .iter()
            .find(|d| d.name == name && !d.data_type.is_empty())
            .map(|d| d.data_type.clone())
            .or_else(|| source_type.filter(|t| !t.is_empty()).cloned())
    };
    let named: Vec<(String, Option<Reported<FieldType>>)> = if output.source_fields.is_empty() {
        dlo_fields
            .iter()
            .map(|f| (f.name.clone(), typed(&f.name, None)))
            .collect()
    } else {
        output
            .source_fields
            .iter()
            .map(|f| (f.name.clone(), typed(&f.name, Some(&f.data_type))))
            .collect()
    };
    if named.is_empty() {
        // A stream always ingests at least one field: none listed is none reported.
        unreported.note("fields");
    }
    named
        .into_iter()
        .map(|(name, field_type)| {
            let field_type = field_type.unwrap_or_else(|| {
                unreported.note(&format!("fields.{name}"));
                Reported::Unknown(String::new())
            });
            SourceField { name, field_type }
        })
        .collect()
}

/// The refresh schedule as reported; `None` with `refresh` recorded when the answer has none.
fn live_refresh(output: &DataStreamOutput, unreported: &mut Unreported) -> Option<Refresh> {
    let config = unreported.take_optional("refresh", output.refresh_config.as_ref())?;
    let mode = reported(unreported, "refresh.mode", &config.refresh_mode);
    let Some(frequency) = config.frequency.as_ref() else {
        for path in [
            "refresh.frequency",
            "refresh.hours",
            "refresh.dayOfWeek",
            "refresh.dayOfMonth",
        ] {
            unreported.note_optional(path);
        }
        return Some(Refresh {
            mode,
            frequency: None,
            hours: Vec::new(),
            day_of_week: None,
            day_of_month: None,
        });
    };
    // No hours or days listed cannot be told from "not reported": neither is compared.
    let mut hours = frequency.hours.clone();
    if hours.is_empty() {
        unreported.note_optional("refresh.hours");
    }
    hours.sort_unstable();
    hours.dedup();
    let day_of_week = unreported.take_optional("refresh.dayOfWeek", frequency.refresh_day_of_week.clone());
    let day_of_month = unreported.take_optional("refresh.dayOfMonth", frequency.refresh_day_of_month.first().copied());
    Some(Refresh {
        frequency: Some(reported(unreported, "refresh.frequency", &frequency.frequency_type)),
        mode,
        hours,
        day_of_week,
        day_of_month,
    })
}

/// The data lake object as reported, each field the answer leaves out recorded.
fn live_dlo(dlo: Option<&DloOutput>, unreported: &mut Unreported) -> DataLakeObject {
    let Some(dlo) = dlo else {
        unreported.note("dataLakeObject");
        return DataLakeObject {
            name: String::new(),
            label: None,
            category: Reported::Unknown(String::new()),
            primary_key: String::new(),
            record_modified_field: None,
            event_time_field: None,
            dataspace: String::new(),
        };
    };
    let primary_key = dlo
        .data_lake_field_info_representation
        .iter()
        .find(|f| f.is_primary_key)
        .map(|f| f.name.clone());
    DataLakeObject {
        name: unreported.text("dataLakeObject.name", &dlo.name),
        label: unreported.take_optional("dataLakeObject.label", non_empty(&dlo.label)),
        category: reported(unreported, "dataLakeObject.category", &dlo.category),
        primary_key: unreported.take_text("dataLakeObject.primaryKey", primary_key),
        record_modified_field: unreported.take_optional(
            "dataLakeObject.recordModifiedField",
            dlo.record_modified_field_name.clone(),
        ),
        event_time_field: unreported
            .take_optional("dataLakeObject.eventTimeField", dlo.event_date_time_field_name.clone()),
        dataspace: unreported.take_text(
            "dataLakeObject.dataspace",
            dlo.data_space_info.first().map(|s| s.name.clone()),
        ),
    }
}

/// The source object as reported in `advancedAttributes`, each attribute left out recorded.
fn live_source(output: &DataStreamOutput, unreported: &mut Unreported) -> SourceObject {
    let Some(advanced) = output.advanced_attributes.as_ref() else {
        unreported.note("source");
        return SourceObject {
            database: None,
            schema: None,
            object: String::new(),
        };
    };
    SourceObject {
        database: unreported.take_optional("source.database", advanced.database.clone()),
        schema: unreported.take_optional("source.schema", advanced.schema.clone()),
        object: unreported.take_text("source.object", advanced.object.clone()),
    }
}

/// A live data stream in model terms. A field the answer leaves out (the spec requires only
/// `recordId`, `status` and `dataLakeObjectInfo`) is recorded as not reported, never read
/// as a default: no `connectorInfo` is not the connection `""`.
#[must_use]
pub(crate) fn data_stream_from_wire(output: &DataStreamOutput) -> LiveObject {
    let mut unreported = Unreported::default();
    let dlo = output.data_lake_object_info.as_ref();
    let dlo_fields = dlo.map_or(&[][..], |d| d.data_lake_field_info_representation.as_slice());
    let connection = output
        .connector_info
        .as_ref()
        .map_or("", |c| c.connector_details.name.as_str());
    let stream = DataStream {
        name: unreported.text("name", &output.name),
        labels: SmallMap::new(),
        label: unreported.text("label", &output.label),
        connection: unreported.text("connection", connection),
        source: live_source(output, &mut unreported),
        fields: live_fields(output, dlo_fields, &mut unreported),
        data_lake_object: live_dlo(dlo, &mut unreported),
        refresh: live_refresh(output, &mut unreported),
        lifecycle: Lifecycle::default(),
        no_secrets: SmallMap::new(),
    };
    LiveObject::new(
        record_id(output),
        Resource::DataStream(Box::new(stream)),
        Vec::new(),
        unreported,
    )
}

/// A value to send: only known ones are (the model holds others only when read from the org).
fn sent<T: d360_wire::values::Word>(value: &Reported<T>) -> Result<Reported<T>, UnknownValue> {
    value.to_known().map(Reported::Known)
}

fn optional_sent<T: d360_wire::values::Word>(value: Option<&Reported<T>>) -> Result<Option<Reported<T>>, UnknownValue> {
    value.map(sent).transpose()
}

fn dlo_input(stream: &DataStream) -> Result<DloInput, UnknownValue> {
    let dlo = &stream.data_lake_object;
    Ok(DloInput {
        name: dlo.name.clone(),
        label: dlo.label.clone().unwrap_or_else(|| stream.label.clone()),
        category: sent(&dlo.category)?,
        data_lake_field_input_representations: stream
            .fields
            .iter()
            .map(|f| {
                Ok(DloFieldInput {
                    name: f.name.clone(),
                    label: f.name.clone(),
                    data_type: sent(&f.field_type)?,
                    is_primary_key: f.name == dlo.primary_key,
                })
            })
            .collect::<Result<_, UnknownValue>>()?,
        dataspace_info: vec![DataspaceRef {
            name: dlo.dataspace.clone(),
        }],
        event_date_time_field_name: dlo.event_time_field.clone(),
        record_modified_field_name: dlo.record_modified_field.clone(),
    })
}

fn source_fields(stream: &DataStream) -> Result<Vec<SourceFieldWire>, UnknownValue> {
    stream
        .fields
        .iter()
        .map(|f| {
            Ok(SourceFieldWire {
                name: f.name.clone(),
                data_type: sent(&f.field_type)?,
                format: None,
            })
        })
        .collect()
}

fn mappings(stream: &DataStream) -> Result<Vec<Mapping>, UnknownValue> {
    stream
        .fields
        .iter()
        .map(|f| {
            Ok(Mapping {
                source_field_label: f.name.clone(),
                target_field_name: f.name.clone(),
                target_field_returntype: Some(sent(&f.field_type)?),
                transformation_formula: None,
            })
        })
        .collect()
}

fn refresh_config(stream: &DataStream) -> Result<Option<RefreshConfig>, UnknownValue> {
    let Some(refresh) = &stream.refresh else {
        return Ok(None);
    };
    let frequency = match &refresh.frequency {
        None => None,
        Some(frequency) => Some(FrequencyWire {
            frequency_type: sent(frequency)?,
            hours: refresh.hours.clone(),
            refresh_day_of_week: optional_sent(refresh.day_of_week.as_ref())?,
            refresh_day_of_month: refresh.day_of_month.into_iter().collect(),
        }),
    };
    Ok(Some(RefreshConfig {
        refresh_mode: sent(&refresh.mode)?,
        frequency,
        is_acceleration_enabled: None,
        additional_attributes: None,
    }))
}

/// The create body of a data stream; refused when the stream holds a value d360 does not know.
pub(crate) fn data_stream_input(stream: &DataStream) -> Result<DataStreamInput, UnknownValue> {
    Ok(DataStreamInput {
        name: stream.name.clone(),
        label: stream.label.clone(),
        datastream_type: STREAM_TYPE.to_owned(),
        datasource: None,
        connector_info: StreamConnectorInfo {
            connector_type: "DataConnector".to_owned(),
            connector_details: ConnectorDetails {
                name: stream.connection.clone(),
            },
        },
        data_lake_object_info: vec![dlo_input(stream)?],
        source_fields: source_fields(stream)?,
        mappings: mappings(stream)?,
        refresh_config: refresh_config(stream)?,
        advanced_attributes: Some(AdvancedAttributes {
            database: stream.source.database.clone(),
            schema: stream.source.schema.clone(),
            object: Some(stream.source.object.clone()),
        }),
        data_access_mode: Some("Ingest".to_owned()),
        // The org's default currency: manifests have no currency field yet.
        currency_iso_code_info: None,
    })
}

/// The PATCH body of a data stream: everything that may change in place; refused when the
/// stream holds a value d360 does not know.
pub(crate) fn data_stream_patch(stream: &DataStream) -> Result<DataStreamPatch, UnknownValue> {
    Ok(DataStreamPatch {
        label: Some(stream.label.clone()),
        datastream_type: None,
        connector_patch_info: None,
        data_lake_object_info: Some(dlo_input(stream)?),
        mappings: Some(mappings(stream)?),
        refresh_config: refresh_config(stream)?,
        source_fields: Some(source_fields(stream)?),
    })
}

#[cfg(test)]
mod tests {
    use d360_wire::values::{Category, FieldType, FrequencyType};

    use super::*;

    fn live(answer: serde_json::Value) -> DataStream {
        let output: DataStreamOutput = serde_json::from_value(answer).expect("a data stream answer");
        match data_stream_from_wire(&output).resource {
            Resource::DataStream(stream) => *stream,
            Resource::Connection(_) => panic!("not a data stream"),
        }
    }

    #[test]
    fn org_values_d360_does_not_know_are_kept_verbatim_and_never_sent() {
        let stream = live(serde_json::json!({
            "id": "1dsX", "name": "S", "label": "S",
            "dataLakeObjectInfo": {"name": "S__dll", "category": "Directory_Table",
                "dataLakeFieldInfoRepresentation": [
                    {"name": "id", "dataType": "Text", "isPrimaryKey": true},
                    {"name": "at", "dataType": "Datetime"}
                ]},
            "refreshConfig": {"refreshMode": "UPSERT", "frequency": {"frequencyType": "HOURLY", "hours": [3]}}
        }));
        assert_eq!(
            stream.data_lake_object.category,
            Reported::Unknown("Directory_Table".to_owned())
        );
        assert_eq!(stream.fields[0].field_type, Reported::Known(FieldType::Text));
        assert_eq!(stream.fields[1].field_type, Reported::Unknown("Datetime".to_owned()));
        let refresh = stream.refresh.as_ref().expect("a refresh");
        assert_eq!(refresh.frequency, Some(Reported::Unknown("HOURLY".to_owned())));
        // The diff sees the text the org answered.
        let fields = crate::model::ResourceSpec::fields(&stream);
        assert_eq!(fields["dataLakeObject.category"], "Directory_Table");
        assert_eq!(fields["refresh.frequency"], "HOURLY");
        assert_eq!(
            data_stream_input(&stream)
                .map(|_| ())
                .map_err(|error| error.to_string()),
            Err("data lake object category `Directory_Table` is not one d360 knows".to_owned())
        );

        let mut known = stream;
        known.data_lake_object.category = Category::Profile.into();
        known.fields[1].field_type = FieldType::DateTime.into();
        assert!(data_stream_input(&known).is_err(), "the frequency is still unknown");
        if let Some(refresh) = &mut known.refresh {
            refresh.frequency = Some(FrequencyType::Hourly.into());
        }
        let body = serde_json::to_value(data_stream_patch(&known).expect("only known values")).expect("encodes");
        assert_eq!(body["dataLakeObjectInfo"][0]["category"], "Profile");
        assert_eq!(body["refreshConfig"]["frequency"][0]["frequencyType"], "Hourly");
    }
}
