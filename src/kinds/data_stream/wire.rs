//! Data streams on the wire: the create and PATCH bodies d360 sends, and a live answer in
//! model terms (normalised as `diff` expects: hours sorted, server-only fields dropped).

use crate::model::SmallMap;

use super::spec::{DataLakeObject, DataStream, Refresh, SourceField, SourceObject};
use crate::kinds::{LiveObject, Resource};
use crate::model::Lifecycle;
use d360_wire::shapes::{
    AdvancedAttributes, ConnectorDetails, DataStreamInput, DataStreamOutput, DataStreamPatch, DataspaceRef,
    DloFieldInput, DloInput, FrequencyWire, Mapping, RefreshConfig, SourceFieldWire, StreamConnectorInfo,
};
use d360_wire::values::{Reported, UnknownValue};

/// The `datastreamType` d360 creates: streams over connector-framework connections (RDS…).
pub(crate) const STREAM_TYPE: &str = "CONNECTORSFRAMEWORK";

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// A live data stream in model terms.
#[must_use]
pub(crate) fn data_stream_from_wire(output: &DataStreamOutput) -> LiveObject {
    let dlo = output.data_lake_object_info.as_ref();
    let dlo_fields = dlo
        .map(|d| d.data_lake_field_info_representation.as_slice())
        .unwrap_or_default();
    let primary_key = dlo_fields
        .iter()
        .find(|f| f.is_primary_key)
        .map(|f| f.name.clone())
        .unwrap_or_default();
    let fields: Vec<SourceField> = if output.source_fields.is_empty() {
        dlo_fields
            .iter()
            .map(|f| SourceField {
                name: f.name.clone(),
                field_type: f.data_type.clone(),
            })
            .collect()
    } else {
        // A source field's `datatype` has only four values (Text, Number, Date, DateTime);
        // the DLO field of the same name keeps the declared type (Email, Boolean...).
        output
            .source_fields
            .iter()
            .map(|f| SourceField {
                name: f.name.clone(),
                field_type: dlo_fields
                    .iter()
                    .find(|d| d.name == f.name)
                    .map_or_else(|| f.data_type.clone(), |d| d.data_type.clone()),
            })
            .collect()
    };
    let advanced = output.advanced_attributes.clone().unwrap_or_default();
    let refresh = output.refresh_config.as_ref().map(|config| {
        let frequency = config.frequency.as_ref();
        let mut hours = frequency.map(|f| f.hours.clone()).unwrap_or_default();
        hours.sort_unstable();
        hours.dedup();
        Refresh {
            mode: config.refresh_mode.clone(),
            frequency: frequency.map(|f| f.frequency_type.clone()),
            hours,
            day_of_week: frequency.and_then(|f| f.refresh_day_of_week.clone()),
            day_of_month: frequency.and_then(|f| f.refresh_day_of_month.first().copied()),
        }
    });
    let stream = DataStream {
        name: output.name.clone(),
        labels: SmallMap::new(),
        label: output.label.clone(),
        connection: output
            .connector_info
            .as_ref()
            .map(|c| c.connector_details.name.clone())
            .unwrap_or_default(),
        source: SourceObject {
            database: advanced.database,
            schema: advanced.schema,
            object: advanced.object.unwrap_or_default(),
        },
        data_lake_object: DataLakeObject {
            name: dlo.map(|d| d.name.clone()).unwrap_or_default(),
            label: dlo.and_then(|d| non_empty(&d.label)),
            // An answer without a DLO reads as the empty unknown category, as it left it out.
            category: dlo.map(|d| d.category.clone()).unwrap_or_default(),
            primary_key,
            record_modified_field: dlo.and_then(|d| d.record_modified_field_name.clone()),
            event_time_field: dlo.and_then(|d| d.event_date_time_field_name.clone()),
            dataspace: dlo
                .and_then(|d| d.data_space_info.first().map(|s| s.name.clone()))
                .unwrap_or_else(|| "default".to_owned()),
        },
        fields,
        refresh,
        lifecycle: Lifecycle::default(),
        no_secrets: SmallMap::new(),
    };
    LiveObject::new(output.id.clone(), Resource::DataStream(Box::new(stream)), Vec::new())
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
