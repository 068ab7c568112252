//! A data stream back into its `kind: DataStream` document (`d360 render`, `d360 import`).

use super::DataStream;
use super::document::{
    DataLakeObjectSpec, DataStreamDocument, DataStreamKind, DataStreamSpec, FieldSpec, RefreshSpec, SourceSpec,
};
use crate::kinds::document::{ApiVersion, Metadata, Unrepresentable, lifecycle, optional_word, word};

/// A data stream as a `kind: DataStream` document; refused when the org holds a value the
/// manifest enums cannot express.
pub(crate) fn document(stream: &DataStream) -> Result<DataStreamDocument, Unrepresentable> {
    let dlo = &stream.data_lake_object;
    let default_dlo_name = DataStream::default_dlo_name(&stream.name);
    let fields = stream
        .fields
        .iter()
        .map(|f| {
            Ok(FieldSpec {
                name: f.name.clone(),
                field_type: word(&f.field_type)?,
            })
        })
        .collect::<Result<Vec<_>, Unrepresentable>>()?;
    let refresh = match &stream.refresh {
        None => None,
        Some(refresh) => Some(RefreshSpec {
            mode: Some(word(&refresh.mode)?),
            frequency: optional_word(refresh.frequency.as_ref())?,
            hours: refresh.hours.clone(),
            day_of_week: optional_word(refresh.day_of_week.as_ref())?,
            day_of_month: refresh.day_of_month,
        }),
    };
    Ok(DataStreamDocument {
        api_version: ApiVersion::V1,
        kind: DataStreamKind::DataStream,
        metadata: Metadata {
            name: stream.name.clone(),
            labels: stream.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            orgs: None,
        },
        spec: DataStreamSpec {
            label: stream.label.clone(),
            connection: stream.connection.clone(),
            source: SourceSpec {
                database: stream.source.database.clone(),
                schema: stream.source.schema.clone(),
                object: stream.source.object.clone(),
            },
            data_lake_object: DataLakeObjectSpec {
                name: (dlo.name != default_dlo_name).then(|| dlo.name.clone()),
                label: dlo.label.clone(),
                category: word(&dlo.category)?,
                primary_key: dlo.primary_key.clone(),
                record_modified_field: dlo.record_modified_field.clone(),
                event_time_field: dlo.event_time_field.clone(),
                dataspace: (dlo.dataspace != "default").then(|| dlo.dataspace.clone()),
            },
            fields,
            refresh,
            lifecycle: lifecycle(&stream.lifecycle),
        },
    })
}
