//! Every example answer in the spec for connections (all families), connectors and data
//! streams decodes with d360's reader (`d360_wire::shapes`), and the reader keeps what the
//! examples say where their field names differ from the schema's.

use serde::de::DeserializeOwned;
use serde_json::Value;

use d360_wire::shapes::{
    ConnectionFieldList, ConnectionList, ConnectionObjectList, ConnectionOutput, ConnectionTestResult, ConnectorList,
    ConnectorMetadata, DataStreamList, DataStreamOutput, DataStreamSummary, DatabaseList, DatabaseSchemaList, Preview,
};

use super::spec::Spec;

fn decode<T: DeserializeOwned>(name: &str, value: &Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|error| panic!("example `{name}` does not decode: {error}"))
}

/// Decodes `value` with the reader for the answer schema `schema`; false for schemas d360
/// has no reader for (the Ingest API schema and sitemap operations).
fn decode_answer(schema: &str, name: &str, value: &Value) -> bool {
    match schema {
        "ConnectionCollectionRepresentation" => {
            let list: ConnectionList = decode(name, value);
            assert!(!list.connections.is_empty(), "{name}");
        }
        "ConnectionRepresentation" => {
            let connection: ConnectionOutput = decode(name, value);
            assert!(!connection.id.is_empty() && !connection.name.is_empty(), "{name}");
        }
        "ConnectorInfoCollectionRepresentation" => {
            let list: ConnectorList = decode(name, value);
            assert!(list.connector_info_list.iter().all(|c| !c.name.is_empty()), "{name}");
        }
        "ConnectorMetadataRepresentation" => {
            let metadata: ConnectorMetadata = decode(name, value);
            // The example marks credentials `secure`: d360 must see them as write-only.
            let secret: Vec<&str> = metadata
                .connection_attributes
                .iter()
                .filter(|a| a.secret)
                .map(|a| a.name.as_str())
                .collect();
            assert_eq!(secret, ["username", "password"], "{name}");
        }
        "DataStreamCollectionRepresentation" => {
            let list: DataStreamList = decode(name, value);
            assert!(!list.data_streams.is_empty(), "{name}");
            for stream in &list.data_streams {
                assert!(
                    stream.source_fields.iter().all(|f| !f.data_type.is_empty()),
                    "{name}: datatype read"
                );
            }
        }
        "DataStreamDetailedRepresentation" => {
            let stream: DataStreamOutput = decode(name, value);
            assert!(
                stream.source_fields.iter().all(|f| !f.data_type.is_empty()),
                "{name}: datatype read"
            );
        }
        "DataStreamRepresentation" => {
            let summary: DataStreamSummary = decode(name, value);
            let detailed: DataStreamOutput = decode(name, value);
            assert_eq!(summary.id, detailed.id);
            assert!(summary.data_lake_object_info.is_some(), "{name}");
        }
        "ConnectionTestActionRepresentation" => {
            let result: ConnectionTestResult = decode(name, value);
            assert!(result.success, "{name}");
        }
        "ConnectionDatabaseCollectionRepresentation" => {
            let list: DatabaseList = decode(name, value);
            assert!(!list.databases.is_empty(), "{name}");
        }
        "ConnectionDbSchemaCollectionRepresentation" => {
            let list: DatabaseSchemaList = decode(name, value);
            assert!(
                !list.database_schemas.is_empty(),
                "{name}: `schemas` read as the schema list"
            );
        }
        "ConnectionObjectCollectionRepresentation" => {
            let list: ConnectionObjectList = decode(name, value);
            assert!(!list.objects.is_empty(), "{name}");
        }
        "ConnectionFieldCollectionRepresentation" => {
            let list: ConnectionFieldList = decode(name, value);
            assert!(!list.fields.is_empty(), "{name}");
        }
        "ConnectionPreviewRepresentation" => {
            let preview: Preview = decode(name, value);
            assert!(!preview.records.is_empty(), "{name}");
        }
        _ => return false,
    }
    true
}

#[test]
fn every_example_answer_decodes_with_d360s_reader() {
    let spec = Spec::load();
    let mut decoded = Vec::new();
    for (path, operations) in spec.doc["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            for answer in operation["responses"].as_object().expect("responses").values() {
                let Some(schema) = answer["schema"]["$ref"].as_str() else {
                    continue;
                };
                let schema = schema.rsplit('/').next().expect("a name");
                for example in answer["examples"].as_array().into_iter().flatten() {
                    let name = example.as_str().expect("an example name");
                    let value = &spec.doc["examples"][name];
                    assert!(!value.is_null(), "example {name} is missing from the extract");
                    if decode_answer(schema, name, value) {
                        decoded.push(format!("{method} {path}: {name}"));
                    }
                }
            }
        }
    }
    // Connections of two families listed, one fetched, one patched; connectors; five data
    // stream answers; the test action; the browsing answers.
    assert!(decoded.len() >= 19, "decoded only: {decoded:#?}");
    for wanted in [
        "get-salesforcedotcom-connections-response-example",
        "get-salesforcemarketingcloud-connection-response-example",
        "get-connection-response-example",
        "update-mc-connection-response",
        "get-connector-info-list-response",
        "get-connector-info-response",
        "get-sfdc-data-streams-output-example",
        "get-mc-data-streams-output-example",
        "get-data-stream-output-example",
        "create-s3-data-stream-response-example",
        "update-BYOL-data-stream-response-example",
        "clean-success",
    ] {
        assert!(
            decoded.iter().any(|d| d.ends_with(wanted)),
            "{wanted} not decoded: {decoded:#?}"
        );
    }
}

/// The findings of issue 14 on d360's side, on the spec's own example values.
#[test]
fn the_reader_keeps_what_the_examples_say() {
    let spec = Spec::load();
    let example = |name: &str| spec.doc["examples"][name].clone();
    let stream: DataStreamOutput = decode(
        "get-data-stream-output-example",
        &example("get-data-stream-output-example"),
    );
    // `datatype` (not `dataType`) in source fields.
    assert_eq!(stream.source_fields[0].data_type, "Text");
    // A frequency with an unknown type reads as it is; one without a type reads as none.
    let frequency = stream.refresh_config.as_ref().and_then(|r| r.frequency.as_ref());
    assert_eq!(frequency.map(|f| f.frequency_type.as_str()), Some("BATCH"));
    let listed: DataStreamList = decode(
        "get-sfdc-data-streams-output-example",
        &example("get-sfdc-data-streams-output-example"),
    );
    assert!(
        listed
            .data_streams
            .iter()
            .any(|s| s.refresh_config.as_ref().is_some_and(|r| r.frequency.is_none()))
    );
    // `[null]` hours read as none.
    let marketing: DataStreamList = decode(
        "get-mc-data-streams-output-example",
        &example("get-mc-data-streams-output-example"),
    );
    let hours = &marketing.data_streams[0]
        .refresh_config
        .as_ref()
        .and_then(|r| r.frequency.as_ref())
        .expect("a frequency")
        .hours;
    assert!(hours.is_empty());
    // Output mappings: `sourceFieldName`, `targetFieldName`, `formula`.
    let mapping: d360_wire::shapes::MappingOutput = decode(
        "a mapping",
        &serde_json::json!({"sourceFieldName": "Id", "targetFieldName": "Id__c", "formula": "UPPER(Id)"}),
    );
    assert_eq!(mapping.source_field_name.as_deref(), Some("Id"));
    assert_eq!(mapping.formula.as_deref(), Some("UPPER(Id)"));
    // The test action's example says `message` where the schema says `errorMessage`.
    let result: ConnectionTestResult = decode("clean-success", &example("clean-success"));
    assert!(result.success && result.errors[0].error_message.is_empty());
    // `isCalculatedField` of the example is the schema's `isCalculated`.
    let fields: ConnectionFieldList = decode(
        "get-connection-fields-response",
        &example("get-connection-fields-response"),
    );
    assert_eq!(fields.fields[0].field_type, "Text");
    assert!(!fields.fields[0].is_calculated);
    // Request examples of the test action, in their nested shape.
    let test =
        d360_wire::shapes::ConnectionTestInput::read(&example("test-connection-request")).expect("the example reads");
    assert_eq!(test.credentials.len(), 2);
    assert_eq!(test.parameters[0].param_name, "connection_url");
}
